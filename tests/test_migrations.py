"""Every table comes from a migration: the migrations build what the models describe, and run down and up again."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from coursesite.extensions import db
from tests.support import make_app


def companions(dialect: str) -> set[str]:
    """What migrations build for one database beside a model's table and that is no model itself (the search
    index's FTS5 table and its shadow tables, a GIN expression index): listed in the table's info["companions"]."""
    return {name for table in db.metadata.tables.values()
            for name in table.info.get("companions", {}).get(dialect, ())}


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        leave_out = companions(connection.dialect.name)
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_name": lambda name, _type, _parents: name not in leave_out})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_models_and_migrations_have_the_same_check_constraints(app):
    """Alembic's comparison leaves CHECK constraints out, so they are compared by name here."""
    inspector = sa.inspect(db.engine)
    in_models = {(table.name, constraint.name) for table in db.metadata.tables.values()
                 for constraint in table.constraints if isinstance(constraint, sa.CheckConstraint)}
    in_database = {(table, check["name"]) for table in db.metadata.tables
                   for check in inspector.get_check_constraints(table)}
    assert in_models == in_database


def test_the_database_refuses_values_the_importer_would(app):
    with db.engine.connect() as connection, pytest.raises(sa.exc.IntegrityError):
        connection.execute(sa.text(
            "INSERT INTO modules (slug, title, subtitle, summary, ce_hours, level, audience, objectives, "
            "approval_statement, published, created_at, updated_at) VALUES ('m', 'M', '', '', 1, 'expert', '', "
            "'[]', '', false, '2026-01-01', '2026-01-01')"))


def scratch_database_url(database_url: str, tmp_path) -> str:
    """An empty database beside the test one (named after it, so runs against other test databases never share
    it), so going down to base does not disturb other tests."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'migrations.db'}"
    url = sa.engine.make_url(database_url)
    scratch = f"{url.database}_migrations"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{scratch}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{scratch}"'))
    admin.dispose()
    return url.set(database=scratch).render_as_string(hide_password=False)


def table_names(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"} - companions(engine.dialect.name)


def test_migrations_run_up_down_and_up_again(migrated, tmp_path):
    app = make_app(scratch_database_url(migrated, tmp_path), tmp_path)
    with app.app_context():
        upgrade()
        assert table_names(db.engine) == set(db.metadata.tables)
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}  # companions gone too
        upgrade()
        assert table_names(db.engine) == set(db.metadata.tables)
        db.engine.dispose()


# Rows as they stood at revision 7c5d057d3e64, whose schema never changes: a module with a price tier, a learner with
# an entitlement, and an order line pointing at the tier (ON DELETE SET NULL) and at its order (CASCADE).
ROWS_AT_7C5D057D3E64 = [
    ("INSERT INTO modules (id, slug, title, subtitle, summary, ce_hours, level, audience, objectives, "
     "approval_statement, published, created_at, updated_at) VALUES (1, 'm', 'M', '', '', 1, 'intermediate', '', "
     "'[]', '', true, '2026-01-01', '2026-01-01')"),
    ("INSERT INTO price_tiers (id, module_id, code, position, name, audience, unit_amount, currency, min_quantity, "
     "max_quantity, access_days, grants, active, created_at, updated_at) VALUES (1, 1, 'self_funded', 1, 'n', 'a', "
     "26500, 'usd', 1, 1, 365, 'access', true, '2026-01-01', '2026-01-01')"),
    ("INSERT INTO users (id, email, password_hash, full_name, profession, licence_number, licence_jurisdiction, role, "
     "created_at, updated_at, session_token) VALUES (1, 'a@example.org', 'x', 'A', '', '', '', 'learner', "
     "'2026-01-01', '2026-01-01', 't')"),
    ("INSERT INTO entitlements (id, user_id, module_id, kind, valid_from, valid_until, source, source_ref, "
     "revoked_reason, created_at, updated_at) VALUES (1, 1, 1, 'access', '2026-01-01', '2027-01-01', 'order', '', "
     "'', '2026-01-01', '2026-01-01')"),
    ("INSERT INTO orders (id, reference, user_id, module_id, status, currency, amount_subtotal, amount_discount, "
     "amount_total, amount_refunded, organisation_name, billing_name, billing_address, failure_reason, created_at, "
     "updated_at) VALUES (1, 'R1', 1, 1, 'paid', 'usd', 26500, 0, 26500, 0, '', '', '{}', '', '2026-01-01', "
     "'2026-01-01')"),
    ("INSERT INTO order_lines (id, order_id, position, tier_id, tier_code, name, grants, quantity, unit_amount, "
     "access_days, amount_total, units_refunded) VALUES (1, 1, 1, 1, 'self_funded', 'n', 'access', 1, 26500, 365, "
     "26500, 0)"),
]


def surviving_rows(engine) -> tuple:
    with engine.connect() as connection:
        return (connection.scalar(sa.text("SELECT count(*) FROM entitlements")),
                connection.execute(sa.text("SELECT id, tier_id FROM order_lines")).all())


def test_migrations_keep_the_rows_of_tables_they_rebuild(migrated, tmp_path):
    """SQLite's batch mode rebuilds a table by dropping it: with foreign keys on, that would cascade to (or empty the
    references of) its children's rows. migrations/env.py turns the checks off around a migration."""
    app = make_app(scratch_database_url(migrated, tmp_path), tmp_path)
    with app.app_context():
        upgrade(revision="7c5d057d3e64")
        with db.engine.begin() as connection:
            for statement in ROWS_AT_7C5D057D3E64:
                connection.execute(sa.text(statement))
        upgrade()
        assert surviving_rows(db.engine) == (1, [(1, 1)])
        downgrade(revision="b5e1c0a9d2f4")  # rebuilds price_tiers, the order line's parent
        assert surviving_rows(db.engine) == (1, [(1, 1)])
        db.engine.dispose()
