"""Rate limits: login 5/minute per address and per account, reset 3/hour per email, registration 10/hour."""
from __future__ import annotations

import pytest

from coursesite.extensions import db
from tests.accounts.conftest import PASSWORD, csrf_token
from tests.clients import IsolatedClient
from tests.conftest import make_app


@pytest.fixture
def limited_app(app, migrated, tmp_path, smtp_server):
    """The app with rate limits on (fresh in-memory counters), on the test database ``app`` cleans up."""
    limited = make_app(migrated, tmp_path, RATELIMIT_ENABLED=True, **smtp_server.settings)
    limited.test_client_class = IsolatedClient
    with limited.app_context():
        yield limited
        db.session.remove()


def client_from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def post_form(client, url: str, data: dict):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/auth/login")})


def test_login_allows_five_attempts_a_minute_per_address(limited_app, user):
    client = client_from(limited_app, "198.51.100.1")
    statuses = [post_form(client, "/auth/login", {"email": f"person{n}@example.org", "password": "wrong password!"}
                          ).status_code for n in range(6)]
    assert statuses == [200] * 5 + [429]
    refused = post_form(client, "/auth/login", {"email": user.email, "password": PASSWORD})
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "Too many requests" in page and "wait a minute" in page
    assert refused.headers["Retry-After"]
    assert client_from(limited_app, "198.51.100.2").get("/auth/login").status_code == 200
    assert post_form(client_from(limited_app, "198.51.100.2"), "/auth/login",
                     {"email": user.email, "password": PASSWORD}).status_code == 302


def test_login_allows_five_attempts_a_minute_per_account_from_any_address(limited_app, user):
    statuses = [post_form(client_from(limited_app, f"198.51.100.{n}"), "/auth/login",
                          {"email": user.email.upper(), "password": "wrong password!"}).status_code
                for n in range(10, 16)]
    assert statuses == [200] * 5 + [429]
    other_account = post_form(client_from(limited_app, "198.51.100.99"), "/auth/login",
                              {"email": "someone.else@example.org", "password": "wrong password!"})
    assert other_account.status_code == 200


def test_showing_the_login_form_is_not_limited(limited_app):
    client = client_from(limited_app, "198.51.100.3")
    assert {client.get("/auth/login").status_code for _ in range(8)} == {200}


def test_reset_allows_three_requests_an_hour_per_email(limited_app, mailbox, user):
    statuses = [post_form(client_from(limited_app, f"198.51.100.{n}"), "/auth/reset", {"email": user.email}
                          ).status_code for n in range(20, 24)]
    assert statuses == [302, 302, 302, 429]
    assert len(mailbox.to(user.email)) == 3
    other = post_form(client_from(limited_app, "198.51.100.30"), "/auth/reset", {"email": "other@example.org"})
    assert other.status_code == 302


def test_registration_allows_ten_attempts_an_hour_per_address(limited_app, mailbox):
    client = client_from(limited_app, "198.51.100.4")
    form = {"password": PASSWORD, "password_repeat": PASSWORD, "full_name": "Ada", "profession": "Psychologist"}
    statuses = [post_form(client, "/auth/register", {**form, "email": f"p{n}@example.org"}).status_code
                for n in range(11)]
    assert statuses == [302] * 10 + [429]
    assert post_form(client_from(limited_app, "198.51.100.5"), "/auth/register",
                     {**form, "email": "p11@example.org"}).status_code == 302
