"""The real queue: Huey's SQLite storage (always) or Redis (when TEST_REDIS_URL is set, as on CI), a real consumer
process (``flask jobs work``) and the loopback SMTP server."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from coursesite import jobs, mail
from coursesite.config import PROJECT_ROOT
from coursesite.extensions import db
from coursesite.jobs.models import Job
from coursesite.jobs.queue import queue
from tests.clients import IsolatedClient
from tests.factories import make_user
from tests.support import post_form

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
STORAGES = ["sqlite", "redis"] if REDIS_URL else ["sqlite"]


class Person:
    full_name = "Ada Testwright"


@pytest.fixture(params=STORAGES)
def storage(request) -> str:
    return request.param


@pytest.fixture
def app_overrides(storage, tmp_path) -> dict:
    """Jobs go to a queue of this test's own (a unique name, so parallel runs sharing one Redis never meet)."""
    settings = {"JOBS_IMMEDIATE": False, "JOBS_QUEUE_NAME": f"test-{uuid.uuid4().hex[:12]}",
                "JOBS_SQLITE_PATH": str(tmp_path / "jobs.db")}
    if storage == "redis":
        settings["JOBS_REDIS_URL"] = REDIS_URL
    return settings


@pytest.fixture(autouse=True)
def empty_queue(app):
    yield
    queue.flush()


def send(subject: str) -> None:
    mail.send("ada@example.org", subject, "password_changed", user=Person(), reset_url="https://x.test/r")


def test_a_committed_mail_waits_in_the_queue_for_a_consumer(app, mailbox):
    send("Queued")
    assert jobs.queue_depth() == 0, "nothing before the commit"
    db.session.commit()
    assert jobs.queue_depth() == 1 and mailbox.received == []
    (job,) = db.session.scalars(select(Job))
    assert (job.status, job.attempts) == ("pending", 0)


def test_the_page_answers_at_once_when_the_smtp_server_hangs(app, mailbox):
    """A server that accepts the connection and never says a word: the request does not wait for it."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        app.config["MAIL_PORT"] = silent.getsockname()[1]
        make_user("ada@example.org")
        app.test_client_class = IsolatedClient
        client = app.test_client()
        client.get("/auth/reset")
        started = time.monotonic()
        response = post_form(client, "/auth/reset", {"email": "ada@example.org"})
        elapsed = time.monotonic() - started
    assert response.status_code in (200, 302, 303)
    assert elapsed < app.config["MAIL_TIMEOUT"] / 4, f"the page took {elapsed:.2f}s"
    assert jobs.queue_depth() == 1


def consumer_environment(app, mailbox, outbox: Path) -> dict[str, str]:
    config = app.config
    return {**os.environ, "COURSESITE_ENV": "development", "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
            "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(mailbox.controller.port), "MAIL_OUTBOX": str(outbox),
            "JOBS_SQLITE_PATH": config["JOBS_SQLITE_PATH"], "JOBS_QUEUE_NAME": config["JOBS_QUEUE_NAME"],
            "REDIS_URL": config["JOBS_REDIS_URL"] or "", "LOG_FORMAT": "text", "FLASK_APP": "wsgi"}


def wait_for(condition, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_consumer_process_delivers_each_committed_mail_once(app, mailbox, tmp_path):
    for n in range(3):
        send(f"Message {n}")
    db.session.commit()
    send("Rolled back")
    db.session.rollback()
    log = tmp_path / "consumer.log"
    with log.open("wb") as output:
        consumer = subprocess.Popen([sys.executable, "-m", "flask", "jobs", "work", "--workers", "2"],
                                    cwd=PROJECT_ROOT, env=consumer_environment(app, mailbox, tmp_path / "outbox"),
                                    stdout=output, stderr=subprocess.STDOUT)
        try:
            delivered = wait_for(lambda: len(mailbox.received) >= 3)
            time.sleep(0.5)  # time enough for a duplicate to show up, were there one
        finally:
            consumer.send_signal(signal.SIGTERM)
            exit_code = consumer.wait(timeout=30)
    output = log.read_text()
    assert delivered, output
    assert sorted(received.subject for received in mailbox.received) == ["Message 0", "Message 1", "Message 2"]
    assert exit_code == 0, output
    db.session.expire_all()
    assert [job.status for job in db.session.scalars(select(Job).order_by(Job.id))] == ["done"] * 3
    assert len(list((tmp_path / "outbox").glob("*.txt"))) == 3, "the consumer keeps the development outbox"
    assert "https://x.test/r" in output, "and logs the mail's links on its console"
