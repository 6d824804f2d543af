"""Certificates: learners, an admin and the sample module; certificates are issued through ``certify``
(tests/factories.py), which goes through ``issue_certificate``."""
from __future__ import annotations

import pytest

from coursesite.accounts.models import User
from coursesite.catalog.models import Module
from coursesite.extensions import db
from tests.clients import IsolatedClient
from tests.factories import make_user, module_id
from tests.support import make_app


@pytest.fixture(autouse=True)
def isolated_clients(app):
    app.test_client_class = IsolatedClient


@pytest.fixture
def learner(app) -> User:
    return make_user("learner@example.org", licence_number="PSY-004217", licence_jurisdiction="Wisconsin")


@pytest.fixture
def other(app) -> User:
    return make_user("other@example.org", full_name="Tomás Herrera")


@pytest.fixture
def admin(app) -> User:
    return make_user("admin@example.org", role="admin", full_name="Ada Admin")


@pytest.fixture
def module(sample_module) -> Module:
    found = db.session.get(Module, module_id(sample_module))
    assert found is not None
    return found


@pytest.fixture
def limited_app(app, migrated, tmp_path, smtp_server):
    """The app with rate limits on (fresh in-memory counters), on the test database ``app`` cleans up."""
    limited = make_app(migrated, tmp_path, RATELIMIT_ENABLED=True, **smtp_server.settings)
    with limited.app_context():
        yield limited
        db.session.remove()
