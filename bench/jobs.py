"""Mail through the job queue: what it costs a request, and how fast a consumer delivers.

1. Registering, and inviting 1,000 people from one CSV file, each timed (median of several runs) as the app does it
   (the mail composed and queued, delivered later) against the same request with mail.send doing nothing: the
   ratio is what queuing the mail adds. The issue asks for under 2x.
2. A consumer (``flask jobs work --workers 4``, the SQLite queue, writing the development outbox too) delivering
   500 queued mails to a loopback SMTP server (aiosmtpd): mails per second, the issue asks for at least 50.

The app runs in-process (Flask's test client) on a SQLite file, with the embedded SQLite queue, as `make run` does.

    .venv/bin/python bench/jobs.py [--runs 7] [--mails 500]
"""
from __future__ import annotations

import argparse
import io
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from coursesite import create_app, mail  # noqa: E402
from coursesite.catalog.content import import_content  # noqa: E402
from coursesite.extensions import db  # noqa: E402
from coursesite.jobs.queue import queue  # noqa: E402
from tests.factories import make_licence, make_organisation, make_user  # noqa: E402
from tests.mail_sink import MailSink  # noqa: E402
from tests.support import login_as  # noqa: E402

PASSWORD = "bench password 42 long"  # noqa: S105 - a throwaway account in a temporary database


def make_bench_app(folder: Path, sink: MailSink):
    app = create_app("testing", {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}", "MEDIA_ROOT": str(folder / "media"),
        "CONTENT_ROOT": str(ROOT / "tests" / "fixtures" / "content"), "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False, "JOBS_IMMEDIATE": False, "JOBS_SQLITE_PATH": str(folder / "jobs.db"),
        "JOBS_QUEUE_NAME": "bench", **sink.settings})
    with app.app_context():
        upgrade()
        report = import_content(ROOT / "tests" / "fixtures" / "content")
        if not report.ok:
            raise RuntimeError(report.errors)
    return app


@contextmanager
def bench_app(prefix: str) -> Iterator[tuple[Any, MailSink, Path]]:
    """A bench app on a temporary folder (``prefix``), its mail going to a loopback SMTP server; the app, the
    server and the folder. Both bench scripts start this way."""
    sink = MailSink()
    sink.start()
    try:
        with tempfile.TemporaryDirectory(prefix=prefix) as folder:
            yield make_bench_app(Path(folder), sink), sink, Path(folder)
    finally:
        sink.stop()


def post_registration(client, email: str):
    """The registration form posted for ``email`` (a new person, or one with an account: the same request)."""
    return client.post("/auth/register", data={
        "email": email, "password": PASSWORD, "password_repeat": PASSWORD, "full_name": "Bench Person",
        "profession": "Psychologist", "licence_number": "", "licence_jurisdiction": ""})


@contextmanager
def mail_does_nothing() -> Iterator[None]:
    original = mail.send
    mail.send = lambda *args, **kwargs: None  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        mail.send = original  # type: ignore[assignment,misc]


def median_seconds(action: Callable[[int], None], runs: int, offset: int) -> float:
    times = []
    for run in range(runs):
        started = time.perf_counter()
        action(offset + run)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_requests(app, runs: int) -> list[tuple[str, float, float]]:
    client = app.test_client()

    def register(n: int) -> None:
        response = post_registration(client, f"bench{n}@example.org")
        if response.status_code not in (200, 302, 303):
            raise RuntimeError(f"registering answered {response.status_code}")

    with app.app_context():
        admin = make_user("bench.admin@example.org")
        organization = make_organisation(admin)
        licences = [make_licence(organization, seats=1000).id for _ in range(2 * runs)]
        admin_client = login_as(app, admin)
        organization_id = organization.id
    csv = ("full_name,email\n" + "".join(f"Person {n},person{n}@example.org\n" for n in range(1000))).encode()

    def invite(n: int) -> None:
        response = admin_client.post(f"/organizations/{organization_id}/upload", data={
            "licence": str(licences[n]), "file": (io.BytesIO(csv), "people.csv")}, content_type="multipart/form-data")
        if response.status_code != 302:
            raise RuntimeError(response.get_data(as_text=True)[:500])

    figures = []
    for name, action, count in (("register", register, runs), ("1,000-row CSV invitation", invite, runs)):
        queued = median_seconds(action, count, 0)
        with mail_does_nothing():
            silent = median_seconds(action, count, 1000 if action is register else count)
        figures.append((name, queued, silent))
    queue.flush()  # the queued mails are not delivered here
    return figures


def bench_consumer(app, sink: MailSink, folder: Path, mails: int) -> float:
    sink.clear()
    # The development settings, as `make run` has them: the consumer also writes each mail to the (temporary) outbox.
    env = {**os.environ, "COURSESITE_ENV": "development", "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(sink.controller.port), "MAIL_OUTBOX": str(folder / "outbox"),
           "JOBS_SQLITE_PATH": app.config["JOBS_SQLITE_PATH"], "JOBS_QUEUE_NAME": "bench", "FLASK_APP": "wsgi",
           "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    consumer = subprocess.Popen([sys.executable, "-m", "flask", "jobs", "work", "--workers", "4", "--no-periodic"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with app.app_context():
            mail.send("warm@example.org", "warm-up", "password_changed", user=None, reset_url="x")
            db.session.commit()
            wait_for(lambda: len(sink.received) >= 1)
            sink.clear()
            started = time.perf_counter()
            for n in range(mails):
                mail.send(f"reader{n}@example.org", f"Message {n}", "password_changed", user=None, reset_url="x")
            db.session.commit()
            wait_for(lambda: len(sink.received) >= mails, seconds=120)
            elapsed = time.perf_counter() - started
    finally:
        consumer.send_signal(signal.SIGTERM)
        consumer.wait(timeout=30)
    if len(sink.received) != mails:
        raise RuntimeError(f"{len(sink.received)} of {mails} delivered")
    return mails / elapsed


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the consumer did not deliver in time")
        time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--mails", type=int, default=500)
    options = parser.parse_args()
    with bench_app("coursesite-bench-jobs-") as (app, sink, folder):
        for name, queued, silent in bench_requests(app, options.runs):
            print(f"{name:26} {queued * 1000:8.1f} ms with mail queued, {silent * 1000:8.1f} ms with mail.send "
                  f"doing nothing: {queued / silent:.2f}x (goal < 2x)")
        rate = bench_consumer(app, sink, folder, options.mails)
        print(f"consumer (4 threads, SQLite queue) {rate:8.1f} mails/s to a loopback SMTP server (goal >= 50)")


if __name__ == "__main__":
    main()
