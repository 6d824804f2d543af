"""Two app servers behind one nginx behave as one site (tests/deploy/conftest.py builds the deployment).

Which gunicorn served a request is read from its access log, which records the request id (X-Request-ID) the test
sends. nginx sends requests to the two servers in turn, so of two consecutive requests each server gets one.
"""
from __future__ import annotations

import json
import re
import socket
import ssl
import threading
import time
import uuid
from collections import Counter

import pytest
import requests

from tests.deploy.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Deployment
from tests.support import CSRF_INPUT

pytestmark = pytest.mark.deploy

MODULE = "/modules/sample-module"
MAIL_WAIT_SECONDS = 30


def request_id() -> str:
    return f"deploytest-{uuid.uuid4().hex}"


def csrf_token(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "no CSRF token in the form"
    return match[1]


def test_pages_are_served_over_tls_and_http2_with_compression(deployment: Deployment):
    browser = deployment.session()
    for path in ("/", "/catalog", MODULE):
        response = browser.get(deployment.url(path), headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200, path
        assert response.headers["Content-Encoding"] == "gzip", path
        assert "max-age=" in response.headers["Strict-Transport-Security"]
    context = ssl.create_default_context(cafile=str(deployment.certificate))
    context.set_alpn_protocols(["h2", "http/1.1"])
    port = int(deployment.base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as raw, context.wrap_socket(raw,
                                                                                    server_hostname="127.0.0.1") as tls:
        assert tls.selected_alpn_protocol() == "h2"
    plain = requests.get(deployment.http_url + "/catalog", allow_redirects=False, timeout=5)
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")


def test_static_files_have_hashed_names_cached_for_a_year(deployment: Deployment):
    browser = deployment.session()
    page = browser.get(deployment.url("/catalog")).text
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page)
    assert stylesheet, "the page does not link a fingerprinted stylesheet"
    response = browser.get(deployment.url(stylesheet[1]), headers={"Accept-Encoding": "br"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Encoding"] == "br"
    assert browser.get(deployment.url("/static/css/site.css")).headers["Cache-Control"] == "no-cache"


def test_a_login_on_one_app_server_holds_on_the_other(deployment: Deployment):
    browser = deployment.session()
    token = csrf_token(browser.get(deployment.url("/auth/login")).text)
    login_id = request_id()
    response = browser.post(deployment.url("/auth/login"), data={
        "csrf_token": token, "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        headers={"X-Request-ID": login_id, "Referer": deployment.url("/auth/login")}, allow_redirects=False)
    assert response.status_code == 302, response.text
    assert response.headers["X-Request-ID"] == login_id
    first = deployment.server_that_handled(login_id)
    servers_seen = set()
    for _ in range(4):
        page_id = request_id()
        account = browser.get(deployment.url("/account"), headers={"X-Request-ID": page_id}, allow_redirects=False)
        assert account.status_code == 200, "logged out on the other app server"
        assert ADMIN_EMAIL in account.text
        servers_seen.add(deployment.server_that_handled(page_id).port)
    assert servers_seen == {server.port for server in deployment.servers}
    assert first.port in servers_seen


def test_a_content_import_shows_at_once_on_both_app_servers(deployment: Deployment):
    browser = deployment.session()
    for _ in range(4):  # both servers have the module page in their page cache
        assert "A Sample Module" in browser.get(deployment.url(MODULE)).text
    module_yaml = deployment.content / "sample-module" / "module.yaml"
    module_yaml.write_text(module_yaml.read_text().replace("title: A Sample Module", "title: A Renamed Module", 1))
    try:
        deployment.flask("content", "import", str(deployment.content / "sample-module"))
        seen_by = set()
        for _ in range(4):
            page_id = request_id()
            page = browser.get(deployment.url(MODULE), headers={"X-Request-ID": page_id}).text
            assert "A Renamed Module" in page and "A Sample Module" not in page
            seen_by.add(deployment.server_that_handled(page_id).port)
        assert len(seen_by) == 2
    finally:
        module_yaml.write_text(module_yaml.read_text().replace("title: A Renamed Module", "title: A Sample Module"))
        deployment.flask("content", "import", str(deployment.content / "sample-module"))


def test_media_goes_through_x_accel_redirect_with_byte_ranges(deployment: Deployment):
    browser = deployment.session()
    lecture = browser.get(deployment.url(f"{MODULE}/lectures/first-steps")).text
    media = re.search(r'(/media/lectures/[^"]+\.m4a)"', lecture)
    assert media, "the preview lecture's page links no media file"
    whole = browser.get(deployment.url(media[1]))
    assert whole.status_code == 200 and whole.headers["Accept-Ranges"] == "bytes"
    part = browser.get(deployment.url(media[1]), headers={"Range": "bytes=0-99"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 0-99/{len(whole.content)}"
    assert part.content == whole.content[:100]
    stored = media[1].rsplit("/", 1)[1]
    assert browser.get(deployment.url(f"/protected-media/lectures/{stored}")).status_code == 404  # internal only


def test_request_bodies_over_the_apps_limit_stop_at_nginx(deployment: Deployment):
    response = deployment.session().post(deployment.url("/auth/login"), data=b"x" * (16 * 1024 * 1024 + 1))
    assert response.status_code == 413


def test_mail_enqueued_by_an_app_server_is_delivered_by_the_job_consumer(deployment: Deployment):
    """...and the consumer's log line about the job carries the id of the request that caused it."""
    browser = deployment.session()
    token = csrf_token(browser.get(deployment.url("/auth/register")).text)
    address = f"new-{uuid.uuid4().hex[:8]}@deploy.example.org"
    started, register_id = time.monotonic(), request_id()
    response = browser.post(deployment.url("/auth/register"), allow_redirects=False, data={
        "csrf_token": token, "email": address, "password": ADMIN_PASSWORD, "password_repeat": ADMIN_PASSWORD,
        "full_name": "Nell Newcomer", "profession": "Clinical psychologist", "licence_number": "",
        "licence_jurisdiction": ""}, headers={"Referer": deployment.url("/auth/register"), "X-Request-ID": register_id})
    assert response.status_code in (302, 303), response.text
    while not deployment.mailbox.to(address) and time.monotonic() - started < MAIL_WAIT_SECONDS:
        time.sleep(0.2)
    mail = deployment.mailbox.last_to(address)
    assert mail.link_to("/auth/confirm/").startswith(deployment.base_url)
    while not (job_lines := logged_by_the_consumer(deployment, register_id)) and time.monotonic() - started < 60:
        time.sleep(0.2)  # the consumer logs the job as done just after the mail went out
    assert any(address in line["message"] for line in job_lines), deployment.consumer_log.read_text()


def logged_by_the_consumer(deployment: Deployment, request_id: str) -> list[dict]:
    """The consumer's JSON log lines that carry ``request_id``."""
    lines = [json.loads(line) for line in deployment.consumer_log.read_text().splitlines() if line.startswith("{")]
    return [line for line in lines if line["request_id"] == request_id]


def test_healthz_reports_the_parts_without_secrets(deployment: Deployment):
    response = deployment.session().get(deployment.url("/healthz"))
    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "ok" and report["database"] == "ok"
    assert report["queue"]["state"] == "ok" and report["queue"]["failed"] == 0
    if "REDIS_URL" in deployment.env:
        assert report["redis"] == "ok"
    assert "redis://" not in response.text and "postgresql" not in response.text


def test_stopping_an_app_server_loses_no_request_nginx_can_retry(deployment: Deployment):
    """Runs last in this module: it kills one of the two servers."""
    browser = deployment.session()
    statuses: Counter[int] = Counter()
    stop_loop = threading.Event()

    def keep_asking() -> None:
        while not stop_loop.is_set():
            for path in ("/catalog", MODULE, "/healthz"):
                statuses[browser.get(deployment.url(path), timeout=20).status_code] += 1

    asker = threading.Thread(target=keep_asking)
    asker.start()
    time.sleep(1.0)
    deployment.servers[0].kill()
    time.sleep(2.0)
    stop_loop.set()
    asker.join(timeout=30)
    assert statuses[200] > 20
    assert set(statuses) == {200}, statuses
