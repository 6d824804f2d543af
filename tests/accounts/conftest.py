"""Account tests: users made directly in the database (tests/factories.py), forms submitted with their CSRF token
(tests/support.py), every request in an app context of its own."""
from __future__ import annotations

import pytest

from coursesite.accounts.models import User
from tests.clients import IsolatedClient
from tests.factories import make_user


@pytest.fixture(autouse=True)
def isolated_clients(app):
    app.test_client_class = IsolatedClient


@pytest.fixture
def user(app) -> User:
    return make_user("ada@example.org", full_name="Ada Testwright")


@pytest.fixture
def admin(app) -> User:
    return make_user("admin@example.org", role="admin", full_name="Ada Admin")
