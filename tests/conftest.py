"""Fixtures shared by every test.

The database-facing tests run once per backend: SQLite always, and PostgreSQL when ``TEST_POSTGRES_URL`` is set (CI
sets it; an unreachable server is then an error, never a skip). The schema comes from the Alembic migrations, not
from ``create_all``, so the tests also prove the migrations build what the models describe.
"""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from coursesite.extensions import db
from tests.clients import PRODUCTION_HOST, BehindTLSProxy
from tests.mail_sink import MailSink
from tests.stripe_stub import StripeStub
from tests.support import FIXTURES, empty_all_tables, make_app

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def reset_postgres_schema(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL is unreachable at TEST_POSTGRES_URL={url}: {exc}", pytrace=False)
    finally:
        engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    reset_postgres_schema(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture(scope="session")
def migrated(database_url, tmp_path_factory) -> str:
    """The test database at the newest migration, once per backend."""
    app = make_app(database_url, tmp_path_factory.mktemp("migrate"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server on loopback; every ``app`` sends its mail there."""
    sink = MailSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def mailbox(smtp_server) -> MailSink:
    """The SMTP server's received mail, emptied for this test."""
    smtp_server.clear()
    return smtp_server


@pytest.fixture
def run_due_jobs(app):
    """``run_due_jobs()`` runs every pending job now, as if its retry delay had passed, and returns their new
    statuses. (Tests run each job as its transaction commits, JOBS_IMMEDIATE; a retry waits in memory.)"""
    from coursesite.jobs import outbox
    from coursesite.jobs.models import Job
    from coursesite.models_base import utcnow

    def run() -> list[str]:
        db.session.execute(sa.update(Job).where(Job.status == "pending").values(run_after=utcnow()))
        keys = list(db.session.scalars(sa.select(Job.key).where(Job.status == "pending").order_by(Job.id)))
        db.session.commit()
        return [outbox.run(key) for key in keys]

    return run


@pytest.fixture(scope="session")
def stripe_server():
    """A Stripe-compatible stub on loopback, spoken to through the real SDK (see tests/stripe_stub.py)."""
    server = StripeStub().start()
    yield server
    server.stop()


@pytest.fixture
def stub(stripe_server) -> StripeStub:
    """The Stripe stub, emptied for this test."""
    stripe_server.reset()
    return stripe_server


@pytest.fixture
def app_overrides() -> dict:
    """Extra settings for the ``app`` fixture; a test package or module overrides this fixture to change them."""
    return {}


@pytest.fixture
def app(migrated, tmp_path, smtp_server, app_overrides):
    app = make_app(migrated, tmp_path, **smtp_server.settings, **app_overrides)
    with app.app_context():
        yield app
        db.session.rollback()
        empty_all_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def production_app(app, migrated, tmp_path, smtp_server):
    """The production settings on the test database (the ``app`` fixture empties it afterwards) as deployed: one
    trusted TLS proxy, a real SECRET_KEY and an https BASE_URL. Its test clients are :class:`BehindTLSProxy`."""
    production = make_app(migrated, tmp_path, "production", SECRET_KEY="a-long-random-production-secret-for-tests-only",
                          BASE_URL=f"https://{PRODUCTION_HOST}", TRUSTED_PROXY_HOPS=1, **smtp_server.settings)
    production.test_client_class = BehindTLSProxy
    with production.app_context():
        yield production
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def proxied_client(production_app) -> BehindTLSProxy:
    """A browser reaching ``production_app`` over https through its TLS proxy."""
    return production_app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def content_copy(tmp_path) -> Path:
    """A writable copy of the fixture content; tests break it on purpose."""
    target = tmp_path / "content"
    shutil.copytree(FIXTURES / "content", target)
    return target


@pytest.fixture
def sample_module(app):
    """The fixture module, imported."""
    from coursesite.catalog.content import import_content

    report = import_content(FIXTURES / "content" / "sample-module")
    assert report.ok, report.errors
    return "sample-module"


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as counter: ...``: the SQL statements run inside the block."""

    @contextmanager
    def counting():
        counter = QueryCounter()
        sa.event.listen(db.engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", counter)

    return counting
