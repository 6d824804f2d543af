"""Helpers for account tests: users made directly in the database, forms submitted with their CSRF token."""
from __future__ import annotations

import re
from functools import cache

import pytest

from coursesite.accounts.models import User
from coursesite.accounts.passwords import hash_password
from coursesite.extensions import db
from coursesite.models_base import utcnow
from tests.clients import IsolatedClient

PASSWORD = "lantern orchard violet 42"
ZOE = "Zoë Łukasiewicz-Ōtsuka"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@cache
def password_hash() -> str:
    """One hash for every test user: hashing is deliberately slow, and a salt shared in tests harms nobody."""
    return hash_password(PASSWORD)


def csrf_token(client, page: str) -> str:
    response = client.get(page)
    match = CSRF_INPUT.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {page} ({response.status_code})"
    return match.group(1)


def submit(client, url: str, data: dict, page: str | None = None, **kwargs):
    """POST ``data`` to ``url`` with the CSRF token from the form on ``page`` (default: ``url`` itself)."""
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page or url)}, **kwargs)


def login(client, email: str, password: str = PASSWORD, **extra):
    return submit(client, "/auth/login", {"email": email, "password": password, **extra})


def logged_in(client) -> bool:
    return client.get("/account").status_code == 200


def reload(instance):
    """``instance`` as the database has it now (requests run in their own session)."""
    db.session.refresh(instance)
    return instance


@pytest.fixture(autouse=True)
def isolated_clients(app):
    app.test_client_class = IsolatedClient


@pytest.fixture
def make_user(app):
    def make(email: str = "ada@example.org", *, confirmed: bool = True, role: str = "learner",
             full_name: str = "Ada Testwright", **fields) -> User:
        user = User(email=email, password_hash=password_hash(), full_name=full_name, profession="Psychologist",
                    role=role, confirmed_at=utcnow() if confirmed else None, **fields)
        db.session.add(user)
        db.session.commit()
        return user
    return make


@pytest.fixture
def user(make_user) -> User:
    return make_user()


@pytest.fixture
def admin(make_user) -> User:
    return make_user("admin@example.org", role="admin", full_name="Ada Admin")
