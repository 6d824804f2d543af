"""The security baseline, checked on EVERY route of ``app.url_map`` (so routes added later are covered too):
CSRF on every state-changing method, security headers on every response, ``next`` never leading off-site,
and cookie flags and HSTS in production.
"""
from __future__ import annotations

import re
from urllib.parse import quote, urljoin, urlsplit

import pytest

from coursesite import create_app
from coursesite.extensions import db
from coursesite.permissions import Marker, route_marker
from tests.clients import IsolatedClient
from tests.factories import PASSWORD, make_user
from tests.support import CSRF_INPUT, csrf_token, login_as, post_form

STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")
# Endpoints that prove their origin with a verified signature instead of a CSRF token (tests/billing check it).
SIGNED_WEBHOOKS: set[str] = {"billing.stripe_webhook"}
# Real values where a placeholder would only reach a 404; every other argument gets a placeholder.
EXAMPLES = {"catalog.module": {"slug": "sample-module"}, "catalog.speaker": {"slug": "ada-testwright"}}
PLACEHOLDERS = {"int": "1", "float": "1.5", "path": "x/y", "uuid": "00000000-0000-0000-0000-000000000000"}
ARGUMENT = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")

OPEN_REDIRECTS = [
    "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example", "\\/evil.example",
    "https://evil.example", "http:evil.example", "https:/\\evil.example", "HTTPS://evil.example",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "data:text/html,<script>1</script>",
    "/\t/evil.example", "/\n/evil.example", " //evil.example", "%2F%2Fevil.example", "/%2F/evil.example",
    "%2f%2fevil.example", "/%5Cevil.example", "%5C%5Cevil.example", "%252F%252Fevil.example",
    "/%09/evil.example", "https%3A%2F%2Fevil.example", "javascript%3Aalert(1)", "//evil.example@localhost",
]


def url_for_rule(rule) -> str:
    examples = EXAMPLES.get(rule.endpoint, {})

    def fill(match: re.Match) -> str:
        converter, arguments, name = match.groups()
        if converter == "any":  # the first of the values the rule allows
            return examples.get(name) or arguments.split(",")[0].strip(" '\"")
        return examples.get(name) or PLACEHOLDERS.get(converter or "", "x")

    return ARGUMENT.sub(fill, rule.rule)


def routes(app, method: str) -> list[tuple[str, str]]:
    return sorted((rule.endpoint, url_for_rule(rule)) for rule in app.url_map.iter_rules() if method in rule.methods)


@pytest.fixture
def admin(app):
    return make_user("admin@example.org", role="admin", full_name="Ada Admin")


@pytest.fixture
def clients(app, admin, sample_module):
    """An anonymous visitor and a logged-in admin (who can reach every page there is)."""
    app.test_client_class = IsolatedClient
    visitor = app.test_client()
    return {"visitor": visitor, "admin": login_as(app, admin)}


def test_csrf_protection_is_on_in_tests_as_in_production(app):
    assert app.config["WTF_CSRF_ENABLED"] is True
    assert app.config.get("WTF_CSRF_CHECK_DEFAULT", True) is True


def test_every_state_changing_request_without_a_valid_csrf_token_is_refused(app, clients):
    unprotected = []
    checked = 0
    for method in STATE_CHANGING:
        for endpoint, url in routes(app, method):
            if endpoint in SIGNED_WEBHOOKS:
                continue
            for who, client in clients.items():
                for data in ({}, {"csrf_token": "forged-token"}):
                    response = client.open(url, method=method, data=data)
                    checked += 1
                    if response.status_code != 400 or "CSRF" not in response.get_data(as_text=True):
                        unprotected.append(f"{method} {url} as {who} with {data}: {response.status_code}")
    assert checked >= 8  # register, login, logout, reset, reset/<token>, profile, password, email, delete ...
    assert unprotected == []


def test_the_logout_form_in_the_navigation_carries_a_token(clients):
    page = clients["admin"].get("/").get_data(as_text=True)
    assert re.search(r'action="/auth/logout"[^>]*>\s*<input type="hidden" name="csrf_token" value="[^"]+">', page)


def header_problems(response) -> list[str]:
    headers = response.headers
    problems = []
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if not headers.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")
    if response.mimetype != "text/html":
        return problems
    policy = dict(
        [*directive.split(" ", 1), ""][:2] for directive in
        (part.strip() for part in headers.get("Content-Security-Policy", "").split(";")) if directive
    )
    script_sources = policy.get("script-src", policy.get("default-src", ""))
    if not script_sources or "'unsafe-inline'" in script_sources or "'unsafe-eval'" in script_sources:
        problems.append(f"script-src allows inline scripts or is missing: {script_sources!r}")
    if policy.get("frame-ancestors") != "'none'":
        problems.append("no frame-ancestors 'none'")
    if policy.get("object-src") != "'none'":
        problems.append("no object-src 'none'")
    if headers.get("X-Frame-Options") != "DENY":
        problems.append("no X-Frame-Options DENY")
    if "<script>" in response.get_data(as_text=True) or " style=\"" in response.get_data(as_text=True):
        problems.append("inline script or style in the page")
    return problems


def test_every_get_response_carries_the_security_headers(app, clients):
    missing = []
    html_pages = 0
    for _endpoint, url in routes(app, "GET"):
        for who, client in clients.items():
            response = client.get(url)
            html_pages += response.mimetype == "text/html"
            missing.extend(f"GET {url} as {who} ({response.status_code}): {problem}"
                           for problem in header_problems(response))
    assert html_pages >= 20
    assert missing == []


def test_no_cache_keeps_a_response_with_personal_or_paid_content_on_any_route(app, clients):
    """Every route not marked public (login, module access, a right), and every page of a logged-in person, is sent
    with ``Cache-Control: no-store``; only a response that calls itself public (a preview's media file) is kept."""
    stored = []
    checked = 0
    for endpoint, url in routes(app, "GET"):
        marker = route_marker(app.view_functions[endpoint]) if endpoint != "static" else Marker.PUBLIC
        for who, client in clients.items():
            if who == "visitor" and marker is Marker.PUBLIC:
                continue
            response = client.get(url)
            control = response.headers.get("Cache-Control", "")
            checked += 1
            if "no-store" not in control and "public" not in control and endpoint != "static":
                stored.append(f"GET {url} as {who} ({response.status_code}): Cache-Control {control!r}")
    assert checked >= 40
    assert stored == []


def stays_on_site(location: str) -> bool:
    """Where a browser would go: it reads a backslash as a slash and drops tabs and newlines, so refuse those."""
    before_query = location.split("?", 1)[0].split("#", 1)[0]
    if "\\" in before_query or any(ord(char) < 32 for char in before_query):
        return False
    resolved = urlsplit(urljoin("http://localhost/", location))
    return resolved.scheme in ("http", "https") and resolved.hostname == "localhost" and not resolved.username


@pytest.mark.parametrize("payload", OPEN_REDIRECTS)
def test_next_never_leads_off_site_from_any_route(app, clients, payload):
    off_site = []
    for _endpoint, url in routes(app, "GET"):
        for who, client in clients.items():
            for encoded in (payload, quote(payload, safe="")):
                response = client.get(f"{url}?next={encoded}")
                location = response.headers.get("Location")
                if location is not None and not stays_on_site(location):
                    off_site.append(f"GET {url}?next={encoded} as {who} -> {location}")
    assert off_site == []


@pytest.mark.parametrize("payload", OPEN_REDIRECTS)
def test_logging_in_with_a_hostile_next_lands_on_the_landing_page(app, admin, payload):
    app.test_client_class = IsolatedClient
    client = app.test_client()
    page = client.get("/auth/login", query_string={"next": payload}).get_data(as_text=True)
    assert 'name="next" type="hidden" value=""' in page
    response = post_form(client, "/auth/login", {"email": admin.email, "password": PASSWORD, "next": payload})
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/access"  # an admin's landing page


@pytest.fixture
def production(app, admin, migrated, tmp_path, smtp_server):
    """The production configuration on the test database (where ``admin`` lives)."""
    production = create_app("production", {
        "SECRET_KEY": "a-long-random-production-secret-for-this-test-only", "SQLALCHEMY_DATABASE_URI": migrated,
        "MEDIA_ROOT": str(tmp_path / "media"), "RATELIMIT_ENABLED": False, **smtp_server.settings,
    })
    production.test_client_class = IsolatedClient
    with production.app_context():
        yield production
        db.session.remove()


HTTPS = "https://localhost"


def test_production_redirects_to_https_and_sends_hsts(production):
    client = production.test_client()
    plain = client.get("/catalog")
    assert plain.status_code in (301, 302) and plain.headers["Location"].startswith("https://")
    secure = client.get("/catalog", base_url=HTTPS)
    assert secure.status_code == 200
    hsts = secure.headers["Strict-Transport-Security"]
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 365 * 86400
    assert "includeSubDomains" in hsts
    assert header_problems(secure) == []


def test_production_cookies_are_secure_httponly_and_same_site_lax(production, admin):
    client = production.test_client()
    page = client.get("/auth/login", base_url=HTTPS).get_data(as_text=True)
    token = CSRF_INPUT.search(page).group(1)
    response = client.post("/auth/login", base_url=HTTPS, headers={"Referer": f"{HTTPS}/auth/login"}, data={
        "email": admin.email, "password": PASSWORD, "remember": "y", "csrf_token": token})
    assert response.status_code == 302
    cookies = {cookie.split("=", 1)[0]: cookie for cookie in response.headers.getlist("Set-Cookie")}
    for name in ("__Host-session", "__Host-remember_token"):
        flags = [flag.strip().lower() for flag in cookies[name].split(";")]
        assert "secure" in flags and "httponly" in flags and "samesite=lax" in flags, cookies[name]


def test_cookies_are_secure_everywhere_but_in_debug():
    from coursesite.config import CONFIGS

    for name, config in CONFIGS.items():
        if not getattr(config, "DEBUG", False) and name != "testing":
            assert config.SESSION_COOKIE_SECURE and config.REMEMBER_COOKIE_SECURE, name
        assert config.SESSION_COOKIE_HTTPONLY and config.SESSION_COOKIE_SAMESITE == "Lax", name
        assert config.REMEMBER_COOKIE_HTTPONLY and config.REMEMBER_COOKIE_SAMESITE == "Lax", name


@pytest.mark.parametrize(("referrer", "back"), [
    ("http://localhost/account/email?from=menu", 'href="/account/email?from=menu">Back to the form'),
    ("https://evil.example/account/email", 'href="/">Home'),
    ("http://localhost//evil.example/x", 'href="/">Home'),
    (None, 'href="/">Home'),
])
def test_a_form_with_an_expired_token_gets_a_page_that_says_so_and_leads_back(app, clients, referrer, back):
    headers = {"Referer": referrer} if referrer else {}
    response = clients["admin"].post("/account/email", data={"csrf_token": "expired"}, headers=headers)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This form has expired" in page and "CSRF" in page and "Nothing was changed." in page
    assert back in page


@pytest.mark.parametrize(("url", "data"), [
    ("/auth/login", {"email": "admin@example.org\x00", "password": PASSWORD}),
    ("/auth/login", {"email": "admin@example.org", "password": "pass\x00word"}),
    ("/auth/reset", {"email": "\x00@example.org"}),
    ("/auth/register", {"email": "x@example.org", "password": PASSWORD, "password_repeat": PASSWORD,
                        "full_name": "Ada\x00", "profession": "Psychologist"}),
    ("/auth/login", {"email\x00": "admin@example.org", "password": PASSWORD}),
])
def test_a_nul_byte_in_any_form_field_gets_a_clear_400_on_every_database(app, clients, url, data):
    client = clients["visitor"]
    response = client.post(url, data={**data, "csrf_token": csrf_token(client, "/auth/login")})
    assert response.status_code == 400
    assert "contained an invisible NUL character" in response.get_data(as_text=True)


def test_a_nul_byte_in_the_account_forms_gets_a_clear_400(app, clients):
    client = clients["admin"]
    for url, data in (("/account", {"full_name": "A\x00", "profession": "P"}),
                      ("/account/email", {"email": "new\x00@example.org", "current_password": PASSWORD})):
        response = client.post(url, data={**data, "csrf_token": csrf_token(client, "/account")})
        assert response.status_code == 400, url
        assert "contained an invisible NUL character" in response.get_data(as_text=True)
