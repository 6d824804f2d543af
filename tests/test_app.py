"""The factory, settings, health check, error pages and headers every response carries."""
from __future__ import annotations

import importlib.util
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from flask import request
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

import coursesite.config
from coursesite import create_app
from coursesite.config import DEFAULT_SECRET_KEY
from coursesite.extensions import cache, limiter


def test_production_refuses_to_start_with_the_default_secret(tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", {"SECRET_KEY": DEFAULT_SECRET_KEY})
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", {"SECRET_KEY": ""})


def test_production_refuses_a_secret_shorter_than_32_characters():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", {"SECRET_KEY": "s" * 31, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert create_app("production", {"SECRET_KEY": "s" * 32, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def fresh_config(monkeypatch, **environment):
    """coursesite/config.py evaluated anew under ``environment`` (the imported module stays as it is)."""
    for name in ("REDIS_URL", "TRUSTED_PROXY_HOPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("coursesite_config_probe", coursesite.config.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tests_never_share_redis_state(monkeypatch):
    """With REDIS_URL naming a server that is not there, a testing app still caches and counts in memory."""
    config = fresh_config(monkeypatch, REDIS_URL="redis://127.0.0.1:1/0")
    assert config.ProductionConfig.RATELIMIT_STORAGE_URI == "redis://127.0.0.1:1/0"  # the variable is read
    monkeypatch.setitem(coursesite.config.CONFIGS, "testing", config.TestingConfig)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://", "RATELIMIT_ENABLED": True})
    with app.app_context():
        cache.set("probe", "kept")
        assert cache.get("probe") == "kept"
    assert limiter.storage.check()  # a Redis storage would fail to reach port 1


def test_trusted_proxy_hops_default_to_one_in_production_only(monkeypatch):
    config = fresh_config(monkeypatch)
    assert config.DevelopmentConfig.TRUSTED_PROXY_HOPS == 0
    assert config.TestingConfig.TRUSTED_PROXY_HOPS == 0
    assert config.ProductionConfig.TRUSTED_PROXY_HOPS == 1
    config = fresh_config(monkeypatch, TRUSTED_PROXY_HOPS="2")
    assert config.ProductionConfig.TRUSTED_PROXY_HOPS == 2 and config.TestingConfig.TRUSTED_PROXY_HOPS == 2


def add_transport_probe(app):
    @app.get("/probe")
    def probe():
        return {"remote_addr": request.remote_addr, "limiter_key": get_remote_address(), "scheme": request.scheme}

    return app


FORWARDED = {"X-Forwarded-For": "198.51.100.9, 203.0.113.7", "X-Forwarded-Proto": "https"}


def test_production_behind_one_proxy_sees_the_client_address():
    app = add_transport_probe(create_app("production", {"SECRET_KEY": "x" * 64,
                                                        "SQLALCHEMY_DATABASE_URI": "sqlite://"}))
    assert isinstance(app.wsgi_app, ProxyFix)
    assert (app.wsgi_app.x_for, app.wsgi_app.x_proto, app.wsgi_app.x_host) == (1, 1, 0)
    seen = app.test_client().get("/probe", headers=FORWARDED).get_json()
    # Only the last hop (the proxy's own entry) is trusted: an address the client wrote itself is not.
    assert seen == {"remote_addr": "203.0.113.7", "limiter_key": "203.0.113.7", "scheme": "https"}


def test_two_trusted_hops_and_no_proxy_fix_by_default_in_testing():
    app = add_transport_probe(create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://",
                                                     "TRUSTED_PROXY_HOPS": 2}))
    assert app.test_client().get("/probe", headers=FORWARDED).get_json()["remote_addr"] == "198.51.100.9"
    app = add_transport_probe(create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"}))
    assert not isinstance(app.wsgi_app, ProxyFix)
    seen = app.test_client().get("/probe", headers=FORWARDED).get_json()
    assert seen == {"remote_addr": "127.0.0.1", "limiter_key": "127.0.0.1", "scheme": "http"}


@pytest.mark.parametrize("hops", ["many", "-1", -1, "1.5"])
def test_trusted_proxy_hops_must_be_a_whole_number(hops):
    with pytest.raises(RuntimeError, match="TRUSTED_PROXY_HOPS"):
        create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://", "TRUSTED_PROXY_HOPS": hops})


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
    assert response.get_json()["status"] == "ok" and response.get_json()["database"] == "ok"


def test_healthz_answers_over_plain_http_in_production(migrated):
    """Load balancers probe the backend directly, without the TLS proxy; every other page still goes to HTTPS."""
    app = create_app("production", {"SECRET_KEY": "x" * 64, "SQLALCHEMY_DATABASE_URI": migrated})
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok" and response.get_json()["database"] == "ok"
    assert client.get("/catalog").status_code in (301, 302)
    with app.app_context():
        from coursesite.extensions import db

        db.engine.dispose()


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


class PageAudit(HTMLParser):
    """Everything in a page that would need 'unsafe-inline' or another origin under our Content-Security-Policy."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        values = dict(attrs)
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"<{tag} style={value!r}>")
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> (inline event handler)")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script" and not (values.get("src") or "").startswith("/static/"):
            self.problems.append(f"<script src={values.get('src')!r}> (not a file under /static/)")
        for name in ("src", "href", "srcset", "poster", "action", "formaction"):
            if name not in values or (tag == "a" and name == "href"):  # links may go off-site
                continue
            for url in (values[name] or "").split(",") if name == "srcset" else [values[name] or ""]:
                url = url.strip().split(" ")[0] if name == "srcset" else url
                parts = urlsplit(url)
                if parts.scheme or parts.netloc or not url or url.startswith(("/\\", "\\")):
                    self.problems.append(f"<{tag} {name}={url!r}> (not same-site)")

    handle_startendtag = handle_starttag


def audit_page(html: str) -> PageAudit:
    audit = PageAudit()
    audit.feed(html)
    audit.close()
    return audit


def test_pages_have_no_inline_scripts_or_styles(client, sample_module):
    pages = ("/", "/catalog", "/modules/sample-module", "/speakers/ada-testwright",
             "/modules/sample-module/lectures/first-steps", "/auth/login", "/nope")
    for url in pages:
        response = client.get(url)
        assert response.status_code == (404 if url == "/nope" else 200), url
        audit = audit_page(response.get_data(as_text=True))
        assert audit.problems == [], url
        assert "main" in audit.tags, url  # the parser really read the page
    # The checks above had something to check: the player's script, the speaker's photo, the lecture's media.
    assert {"script", "audio", "track"} <= audit_page(
        client.get("/modules/sample-module/lectures/first-steps").get_data(as_text=True)).tags
    assert "img" in audit_page(client.get("/speakers/ada-testwright").get_data(as_text=True)).tags


def test_page_audit_finds_what_it_looks_for():
    bad = (
        '<script>alert(1)</script><script src="https://cdn.example.com/x.js"></script>'
        '<script src="//cdn.example.com/y.js"></script><script src="/other/z.js"></script>'
        '<p style="color:red" onclick="go()">x</p><style>p{}</style><img src="http://example.com/a.png">'
        '<link rel="stylesheet" href="https://cdn.example.com/a.css"><img src="data:image/png;base64,AA"/>'
        '<img src="/\\example.com/b.png">'
    )
    assert len(audit_page(bad).problems) == 13, audit_page(bad).problems
    good = ('<script src="/static/app.js"></script><link rel="stylesheet" href="/static/site.css">'
            '<img src="media/a.png"><a href="https://example.org/">off-site reading</a>')
    assert audit_page(good).problems == []
