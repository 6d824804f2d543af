"""A live server in a thread and Debian's chromium driven by Playwright (never a downloaded browser)."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from coursesite.catalog.content import import_content
from coursesite.extensions import db
from tests.support import make_app

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# Without these, chromium tries to reach Google's services, which this network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def live_app(tmp_path_factory, smtp_server):
    """The app on a migrated SQLite file with the fixture content imported, sending mail to ``smtp_server``."""
    folder = tmp_path_factory.mktemp("live")
    app = make_app(f"sqlite:///{folder / 'live.db'}", folder, **smtp_server.settings)
    with app.app_context():
        upgrade()
        report = import_content(Path(app.config["CONTENT_ROOT"]))
        assert report.ok, report.errors
        db.session.remove()
    return app


@pytest.fixture(scope="session")
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    live_app.config["BASE_URL"] = url  # links in mail lead back to this server
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium not found at {CHROMIUM}: run `make test`, which installs Debian's chromium",
                    pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=list(SIZES))
def size(request, page) -> str:
    """The test runs once at a desktop size and once at a phone's (390x844); the value names the size."""
    page.set_viewport_size(SIZES[request.param])
    return request.param
