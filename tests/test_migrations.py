"""Every table comes from a migration: the migrations build what the models describe, and run down and up again."""
from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from coursesite.extensions import db
from tests.conftest import make_app


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


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
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_migrations_run_up_down_and_up_again(migrated, tmp_path):
    app = make_app(scratch_database_url(migrated, tmp_path), tmp_path)
    with app.app_context():
        upgrade()
        assert table_names(db.engine) == set(db.metadata.tables)
        downgrade(revision="base")
        assert table_names(db.engine) == set()
        upgrade()
        assert table_names(db.engine) == set(db.metadata.tables)
        db.engine.dispose()
