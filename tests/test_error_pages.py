"""Error pages in the site's own words (every code, JSON for JSON clients) and addresses with a trailing slash."""
from __future__ import annotations

import pytest
from flask import abort

from coursesite import create_app
from tests.clients import IsolatedClient
from tests.factories import SAMPLE_MODULE, make_user
from tests.support import login_as

STOCK_WORDING = ("read-protected", "not readable by the server", "The method is not allowed",
                 "The browser (or proxy) sent a request", "data value transmitted exceeds")


@pytest.fixture
def failing_app(migrated, tmp_path):
    """An app with a route raising each error code, and one failing with an unhandled exception."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": migrated, "PROPAGATE_EXCEPTIONS": False,
                                 "RATELIMIT_ENABLED": False, "MEDIA_ROOT": str(tmp_path)})

    @app.get("/fails/<int:code>")
    def fails(code: int):
        abort(code)

    @app.get("/boom")
    def boom():
        raise ValueError("secret internals in /srv/coursesite/app.py")

    app.test_client_class = IsolatedClient
    return app


@pytest.mark.parametrize(("code", "words"), [
    (400, "did not make sense to us"), (403, "other rights than your account has"), (404, "could not find that page"),
    (405, "cannot be used that way"), (413, "larger than we accept"), (429, "wait a minute"),
    (500, "logged for our team"),
])
def test_every_error_uses_the_layout_plain_words_and_a_way_back(failing_app, code, words):
    response = failing_app.test_client().get(f"/fails/{code}")
    assert response.status_code == code
    page = response.get_data(as_text=True)
    assert 'class="site-header"' in page and 'class="site-footer"' in page
    assert words in page
    assert 'href="/">Back to the home page</a>' in page
    assert not any(stock in page for stock in STOCK_WORDING)


def test_a_real_405_keeps_its_allow_header_and_the_site_page(failing_app):
    response = failing_app.test_client().post("/catalog")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert "cannot be used that way" in response.get_data(as_text=True)


def test_a_500_page_leaks_no_traceback(failing_app):
    response = failing_app.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong on our side" in page and 'class="site-header"' in page
    assert "secret internals" not in page and "Traceback" not in page and "/srv/" not in page


def test_a_403_suggests_logging_in_as_someone_else(app):
    learner = make_user("learner@example.org")
    page = login_as(app, learner).get("/staff/audit").get_data(as_text=True)
    assert "Log out to use another account" in page and "learner@example.org" in page
    assert "read-protected" not in page


def test_json_clients_keep_json_errors(failing_app, client):
    response = failing_app.test_client().get("/fails/404", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.get_json()["error"] == "Page not found"
    webhook = client.post("/billing/stripe/webhook", json={"id": "evt_1"})
    assert webhook.status_code == 400 and webhook.is_json
    assert client.get("/healthz").is_json


def test_a_description_given_by_a_view_is_shown(client):
    response = client.get("/catalog", query_string={"q": "a\x00b"})
    assert response.status_code == 400
    assert "not allowed" in response.get_data(as_text=True)


@pytest.mark.parametrize(("path", "target"), [
    ("/catalog/", "/catalog"), ("/account/", "/account"), ("/learning/", "/learning"),
    ("/organizations/", "/organizations"), ("/auth/login/", "/auth/login"),
    (f"/modules/{SAMPLE_MODULE}/", f"/modules/{SAMPLE_MODULE}"), ("/speakers/ada-example/", "/speakers/ada-example"),
    (f"/modules/{SAMPLE_MODULE}/lectures/intro/", f"/modules/{SAMPLE_MODULE}/lectures/intro"),
    ("/catalog//", "/catalog"),
])
def test_a_trailing_slash_redirects_to_the_canonical_address(client, path, target):
    response = client.get(path)
    assert response.status_code == 308
    assert response.headers["Location"] == target


def test_the_redirect_keeps_the_query_string_and_the_method(client):
    response = client.get("/catalog/", query_string={"page": "2", "q": "trauma"})
    assert response.headers["Location"] == "/catalog?page=2&q=trauma"
    assert client.post("/auth/login/").headers["Location"] == "/auth/login"


@pytest.mark.parametrize("path", [
    "//evil.example/", "///evil.example/", "//evil.example//", "/%2F/evil.example/", "/\\evil.example/",
    "/no-such-page/", "/static/",
])
def test_a_trailing_slash_never_leads_off_site_or_to_a_page_that_does_not_exist(client, path):
    # The raw path, as a server hands it over (the test client would read "//evil.example/" as a host).
    response = client.get("/", environ_overrides={"PATH_INFO": path})
    assert response.status_code == 404
    assert "Location" not in response.headers


def test_a_route_that_exists_but_refuses_is_not_redirected(client):
    """/healthz/ redirects, but a POST to it does not: no route answers POST /healthz."""
    assert client.get("/healthz/").status_code == 308
    assert client.post("/healthz/").status_code == 404


def test_the_error_page_answers_in_plain_text_when_the_database_is_down(failing_app, monkeypatch):
    """A logged-in person's page needs the user loader, whose database may be the very thing down: the 500 still
    answers (in plain words, with the security headers), instead of the error handler failing in its turn."""
    from sqlalchemy.exc import OperationalError

    from coursesite.extensions import login_manager

    def database_down(_token: str) -> None:
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(login_manager, "_user_callback", database_down)
    client = failing_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "a-login-token"
    response = client.get("/catalog")
    assert response.status_code == 500
    assert response.get_data(as_text=True).startswith("Something went wrong on our side")
    assert "connection refused" not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("path", "target"), [
    ("/modules/a%3Fb/", "/modules/a%3Fb"), ("/modules/a%23b/", "/modules/a%23b"),
    ("/modules/caf%C3%A9/", "/modules/caf%C3%A9"),
])
def test_the_redirect_keeps_an_encoded_character_encoded(client, path, target):
    response = client.get(path)
    assert response.status_code == 308
    assert response.headers["Location"] == target
