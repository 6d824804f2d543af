"""Operations: request ids in responses and log lines, /healthz's report, fingerprinted static files, and pages that
keep serving when Redis is down."""
from __future__ import annotations

import io
import json
import logging
import re

import pytest
from flask import url_for

from coursesite import create_app, logs
from coursesite.extensions import db
from coursesite.request_id import current_request_id, request_id_bound
from tests.mail_sink import free_port


def test_a_sane_incoming_request_id_is_kept_and_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "edge-1f2e3d.4c:5b_6a"})
    assert response.headers["X-Request-ID"] == "edge-1f2e3d.4c:5b_6a"


@pytest.mark.parametrize("incoming", ["", "has space", "x" * 200, "<script>", "-starts-with-a-dash"])
def test_an_odd_or_missing_request_id_is_replaced_by_a_new_one(client, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming} if incoming else {})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_every_response_has_its_own_request_id(client):
    assert client.get("/catalog").headers["X-Request-ID"] != client.get("/catalog").headers["X-Request-ID"]


def test_a_job_runs_under_the_request_id_it_was_given():
    assert current_request_id() is None
    with request_id_bound("from-the-request"):
        assert current_request_id() == "from-the-request"
    assert current_request_id() is None


def json_log_lines(app, emit) -> list[dict]:
    """What the production log handler writes while ``emit()`` runs, one JSON object a line."""
    stream = io.StringIO()
    handler = logs.make_handler("json")
    handler.setStream(stream)
    app.logger.addHandler(handler)
    try:
        emit()
    finally:
        app.logger.removeHandler(handler)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_production_log_lines_are_json_with_the_request_id(app):
    @app.get("/log-something")
    def log_something():
        app.logger.warning("something worth knowing: %s", "details")
        return "logged"

    lines = json_log_lines(app, lambda: app.test_client().get("/log-something", headers={"X-Request-ID": "abc-123"}))
    (line,) = lines
    assert line["message"] == "something worth knowing: details"
    assert line["level"] == "WARNING" and line["logger"] == "coursesite" and line["request_id"] == "abc-123"
    assert line["time"].endswith("+00:00")


def test_a_logged_exception_keeps_its_traceback_in_one_json_line(app):
    def fail_and_log():
        try:
            raise ValueError("boom")
        except ValueError:
            app.logger.exception("it failed")

    (line,) = json_log_lines(app, fail_and_log)
    assert line["request_id"] is None and "ValueError: boom" in line["exception"]


def test_log_format_must_be_text_or_json(migrated):
    with pytest.raises(RuntimeError, match="LOG_FORMAT"):
        create_app("testing", {"SQLALCHEMY_DATABASE_URI": migrated, "LOG_FORMAT": "xml"})


def test_production_logs_through_one_handler_however_many_apps(migrated):
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        for _ in range(2):
            create_app("production", {"SECRET_KEY": "x" * 64, "SQLALCHEMY_DATABASE_URI": migrated})
        added = [handler for handler in root.handlers if handler not in before]
        assert len(added) == 1 and isinstance(added[0].formatter, logs.JsonFormatter)
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)


def test_healthz_reports_the_job_queue(client):
    report = client.get("/healthz").get_json()
    assert report["queue"] == {"state": "ok", "depth": 0, "failed": 0}


def closed_redis_url() -> str:
    return f"redis://:a-secret-password@127.0.0.1:{free_port()}/0"


@pytest.fixture
def redis_down(migrated, tmp_path):
    """An app whose Redis (cache, rate limits) does not answer: nothing listens on its port."""
    url = closed_redis_url()
    app = create_app("testing", {
        "SQLALCHEMY_DATABASE_URI": migrated, "MEDIA_ROOT": str(tmp_path / "media"), "REDIS_URL": url,
        "CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url, "CACHE_OPTIONS": {"socket_connect_timeout": 1},
        "RATELIMIT_STORAGE_URI": url, "RATELIMIT_ENABLED": True})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_healthz_reports_redis_down_without_its_address_and_still_answers_200(redis_down):
    response = redis_down.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["redis"] == "unreachable"
    assert "a-secret-password" not in response.text and "redis://" not in response.text


def test_pages_and_rate_limited_forms_keep_serving_when_redis_is_down(redis_down, sample_module_in):
    sample_module_in(redis_down)
    client = redis_down.test_client()
    for _ in range(3):
        assert client.get("/").status_code == 200
        assert client.get("/catalog").status_code == 200
        assert client.get("/modules/sample-module").status_code == 200
    login_page = client.get("/auth/login")
    assert login_page.status_code == 200
    assert client.post("/auth/login", data={"email": "nobody@example.org", "password": "wrong"}).status_code < 500


@pytest.fixture
def sample_module_in():
    """Import the fixture module into an app of the test's own (and empty the tables afterwards)."""
    from tests.support import FIXTURES, empty_all_tables

    imported = []

    def import_into(app):
        from coursesite.catalog.content import import_content

        with app.app_context():
            assert import_content(FIXTURES / "content" / "sample-module").ok
        imported.append(app)

    yield import_into
    for app in imported:
        with app.app_context():
            empty_all_tables()


def test_static_links_carry_a_content_hash_and_are_cached_for_a_year(app, client):
    with app.test_request_context():
        link = url_for("static", filename="css/site.css")
    assert re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", link)
    response = client.get(link)
    assert response.status_code == 200 and b"body" in response.data
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_a_static_name_with_another_digest_gets_the_file_without_the_year(client):
    response = client.get("/static/css/site.000000000000.css")
    assert response.status_code == 200
    assert "immutable" not in response.headers["Cache-Control"]
    assert client.get("/static/css/missing.000000000000.css").status_code == 404


def test_an_edited_static_file_gets_a_new_name(app, tmp_path):
    from coursesite.static_files import hashed_name

    (tmp_path / "site.css").write_text("body { color: black; }")
    before = hashed_name(tmp_path, "site.css")
    (tmp_path / "site.css").write_text("body { color: navy; }")
    assert hashed_name(tmp_path, "site.css") != before
    assert hashed_name(tmp_path, "missing.css") == "missing.css"
    assert hashed_name(tmp_path, "LICENSE") == "LICENSE"
