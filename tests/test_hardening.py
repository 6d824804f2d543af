"""Issue 13, in production settings behind a simulated TLS proxy (``production_app``, ``proxied_client``): headers a
client controls never cause a 500, and the transport rules (hosts, cookies, caching) hold for every route."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from coursesite.accounts.models import AuditEvent, UserSession
from coursesite.extensions import db
from tests.factories import PASSWORD, make_user
from tests.support import csrf_token
from tests.test_security import routes

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


@pytest.mark.parametrize(("forwarded_for", "stored"), [
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


@pytest.mark.parametrize("host", ["evil.example", "courses.example.org.evil.example", "evil.example:443", "bad host"])
def test_a_foreign_host_gets_400_and_is_never_echoed(production_app, host):
    """Over plain HTTP (the HTTPS redirect) and through the proxy alike."""
    plain = production_app.test_client().get("/catalog", base_url="http://courses.example.org",
                                             headers={"X-Forwarded-Proto": "http", "Host": host})
    proxied = production_app.test_client().get("/catalog", headers={"Host": host})
    for response in (plain, proxied):
        assert response.status_code == 400
        assert "evil" not in response.headers.get("Location", "")
        assert "evil.example" not in response.get_data(as_text=True)


def test_the_configured_host_is_redirected_to_https_and_served(production_app):
    client = production_app.test_client()
    plain = client.get("/catalog", headers={"X-Forwarded-Proto": "http"})
    assert plain.status_code in (301, 302) and plain.location == "https://courses.example.org/catalog"
    assert client.get("/catalog").status_code == 200


def test_health_checks_over_plain_http_answer_for_a_listed_internal_host(app, migrated, smtp_server):
    """A load balancer probes the backend directly, with its own Host: TRUSTED_HOSTS lists it."""
    from coursesite import create_app

    production = create_app("production", {
        "SECRET_KEY": "x" * 64, "SQLALCHEMY_DATABASE_URI": migrated, "BASE_URL": "https://courses.example.org",
        "TRUSTED_HOSTS": "10.0.0.5, backend.internal"})
    assert production.config["TRUSTED_HOSTS"] == ["courses.example.org", "10.0.0.5", "backend.internal"]
    client = production.test_client()
    assert client.get("/healthz", base_url="http://10.0.0.5:8000").status_code == 200
    assert client.get("/healthz", base_url="http://backend.internal").status_code == 200
    assert client.get("/healthz", base_url="http://other.internal").status_code == 400
    with production.app_context():
        db.engine.dispose()


def test_development_and_tests_answer_any_host_unless_hosts_are_listed(app):
    assert app.config["TRUSTED_HOSTS"] is None
    assert app.test_client().get("/catalog", base_url="http://localhost").status_code == 200


def test_production_cookies_carry_the_host_prefix(proxied_client):
    make_user("ada@example.org")
    token = csrf_token(proxied_client, "/auth/login")
    response = proxied_client.post("/auth/login", data={"email": "ada@example.org", "password": PASSWORD,
                                                        "remember": "y", "csrf_token": token},
                                   headers={"Referer": "https://courses.example.org/auth/login"})
    assert response.status_code == 302
    cookies = {cookie.split("=", 1)[0]: cookie for cookie in response.headers.getlist("Set-Cookie")}
    for name in ("__Host-session", "__Host-remember_token"):
        flags = [flag.strip().lower() for flag in cookies[name].split(";")]
        assert "secure" in flags and "path=/" in flags and not any(flag.startswith("domain=") for flag in flags)
    assert proxied_client.get("/account").status_code == 200  # the prefixed cookie is the one read back


MALFORMED_HEADERS = [
    {"Referer": "http://[::1/x"}, {"Referer": "https://courses.example.org:port/x"}, {"Referer": "javascript:alert(1)"},
    {"Referer": "//" + "r" * 3000}, {"Origin": "null"}, {"Origin": "http://[::1"}, {"Origin": "https://evil.example"},
    {"Host": "evil.example"}, {"Host": "[::1"}, {"Host": "courses.example.org:port"}, {"Host": "h" * 300},
    {"X-Forwarded-For": "<svg/onload=alert(1)>"}, {"X-Forwarded-For": "1" * 100},
    {"X-Forwarded-For": "fe80::1%" + "x" * 80}, {"X-Forwarded-For": ", , ,"},
    {"X-Forwarded-Proto": "https, http"}, {"X-Forwarded-Proto": "gopher"}, {"X-Forwarded-Proto": ""},
    {"Referer": "http://[::1/x", "Origin": "http://[", "X-Forwarded-For": "<x>" * 30, "X-Forwarded-Proto": "HTTPS"},
]


def test_no_post_route_answers_500_to_malformed_transport_headers(production_app, proxied_client):
    """Every POST route of the url map, for a visitor and a logged-in admin, with a valid CSRF token (so the checks
    behind it run too) and each malformed header set: never a 500."""
    make_user("admin@example.org", role="admin")
    admin = production_app.test_client()
    token = csrf_token(admin, "/auth/login")
    assert admin.post("/auth/login", data={"email": "admin@example.org", "password": PASSWORD, "csrf_token": token},
                      headers={"Referer": "https://courses.example.org/auth/login"}).status_code == 302
    clients = {"visitor": (proxied_client, csrf_token(proxied_client, "/auth/login")),
               "admin": (admin, csrf_token(admin, "/catalog"))}
    failures = []
    requests = 0
    for endpoint, url in routes(production_app, "POST"):
        if endpoint == "auth.logout":
            continue  # it would end the admin's session for the routes after it; a visitor's logout is fuzzed below
        for who, (client, token) in clients.items():
            for headers in MALFORMED_HEADERS:
                response = client.post(url, data={"csrf_token": token}, headers=headers)
                requests += 1
                if response.status_code == 500:
                    failures.append(f"POST {url} as {who} with {headers}: {response.status_code}")
    for headers in MALFORMED_HEADERS:
        assert proxied_client.post("/auth/logout", data={"csrf_token": clients["visitor"][1]},
                                   headers=headers).status_code != 500
    assert requests >= 20 * 2 * len(MALFORMED_HEADERS)
    assert failures == []
