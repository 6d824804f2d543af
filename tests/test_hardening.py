"""Issue 13, in production settings behind a simulated TLS proxy (``production_app``, ``proxied_client``): headers a
client controls never cause a 500, and the transport rules (hosts, cookies, caching) hold for every route."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from coursesite.accounts.models import AuditEvent, UserSession
from coursesite.extensions import db
from tests.factories import PASSWORD, make_user
from tests.support import csrf_token

UNPARSABLE_URLS = ["http://[::1/x", "https://[evil.example", "http://courses.example.org:port/", "http://host:99999/"]


@pytest.mark.parametrize("referrer", UNPARSABLE_URLS)
def test_a_form_with_an_unparsable_referrer_gets_the_csrf_page_not_a_500(proxied_client, referrer):
    make_user("ada@example.org")
    token = csrf_token(proxied_client, "/auth/login")
    response = proxied_client.post("/auth/login", data={"email": "ada@example.org", "password": PASSWORD,
                                                        "csrf_token": token}, headers={"Referer": referrer})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This form has expired" in page and 'href="/">Home' in page


def test_a_form_from_this_site_is_accepted_behind_the_proxy(proxied_client):
    make_user("ada@example.org")
    token = csrf_token(proxied_client, "/auth/login")
    response = proxied_client.post("/auth/login", data={"email": "ada@example.org", "password": PASSWORD,
                                                        "csrf_token": token},
                                   headers={"Referer": "https://courses.example.org/auth/login"})
    assert response.status_code == 302


@pytest.mark.parametrize("forwarded_for, stored", [
    ("198.51.100.7", "198.51.100.7"),
    ("2001:DB8:0:0::1", "2001:db8::1"),
    ("fe80::1%" + "eth" * 20, "fe80::1"),
    ("<svg/onload=alert(1)>", None),
    ("1" * 60, None),
    ("203.0.113.7 " + "x" * 60, None),
])
def test_only_a_parsed_address_is_kept_for_sessions_and_audit_events(proxied_client, forwarded_for, stored):
    user = make_user("ada@example.org")
    token = csrf_token(proxied_client, "/auth/login")
    response = proxied_client.post("/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token},
                                   headers={"Referer": "https://courses.example.org/auth/login",
                                            "X-Forwarded-For": f"192.0.2.1, {forwarded_for}"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(UserSession.ip_address)) == stored
    assert db.session.scalar(select(AuditEvent.ip_address).where(AuditEvent.action == "account.login")) == stored
