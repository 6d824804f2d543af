"""The factory, settings, health check, error pages and headers every response carries."""
from __future__ import annotations

import pytest

from coursesite import create_app
from coursesite.config import DEFAULT_SECRET_KEY


def test_production_refuses_to_start_with_the_default_secret(tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", {"SECRET_KEY": DEFAULT_SECRET_KEY})
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", {"SECRET_KEY": ""})


def test_production_settings(tmp_path):
    app = create_app("production", {"SECRET_KEY": "x" * 64, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert not app.debug


def test_unknown_environment_is_refused():
    with pytest.raises(RuntimeError, match="COURSESITE_ENV"):
        create_app("staging")


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path):
    from coursesite.extensions import db

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'pragmas.db'}"})
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_does_not(tmp_path):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                                 "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 1}}})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"


def test_error_pages_hide_stack_traces(tmp_path, migrated):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": migrated, "PROPAGATE_EXCEPTIONS": False})

    @app.get("/boom")
    def boom():
        raise ValueError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page and "secret internals" not in page and "Traceback" not in page


def test_security_headers_on_html_pages(client):
    response = client.get("/catalog")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # only in production


def test_pages_have_no_inline_scripts_or_styles(client, sample_module):
    for url in ("/", "/catalog", "/modules/sample-module", "/speakers/ada-testwright", "/nope"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>" not in page and "<style" not in page and ' style="' not in page, url
        assert "http://" not in page.replace("http://localhost", ""), url  # nothing from a CDN
