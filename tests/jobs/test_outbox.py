"""The outbox in immediate mode (each job runs as its transaction commits): what is sent, when, and how often."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from coursesite import jobs, mail
from coursesite.accounts.models import User
from coursesite.extensions import db
from coursesite.jobs import outbox
from coursesite.jobs.models import Job
from coursesite.models_base import utcnow
from tests.clients import IsolatedClient
from tests.factories import make_user
from tests.mail_sink import free_port
from tests.support import post_form


class Person:
    full_name = "Ada Testwright"


def send_one(subject: str = "Hello") -> None:
    mail.send("ada@example.org", subject, "password_changed", user=Person(), reset_url="https://x.test/r")


def only_job() -> Job:
    db.session.expire_all()
    (job,) = db.session.scalars(select(Job))
    return job


@pytest.fixture
def smtp_down(app):
    """MAIL_PORT points at a port nobody listens on: every delivery is refused."""
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()
    yield
    app.config["MAIL_PORT"] = port


def test_a_mail_goes_once_its_transaction_commits(app, mailbox):
    send_one()
    assert mailbox.received == []
    db.session.commit()
    assert len(mailbox.received) == 1
    job = only_job()
    assert (job.status, job.attempts, job.kind) == ("done", 1, "mail")
    assert job.label == "mail to ada@example.org: Hello"


def test_a_rolled_back_transaction_sends_nothing_and_keeps_no_job(app, mailbox):
    send_one()
    db.session.rollback()
    db.session.commit()  # a later commit of the same session does not revive the forgotten job
    assert mailbox.received == []
    assert db.session.scalars(select(Job)).all() == []


def test_a_rolled_back_request_sends_nothing(app, mailbox):
    """A reset request whose transaction fails after mail.send: the page errs, no mail, no job."""
    make_user("ada@example.org")
    app.test_client_class = IsolatedClient
    client = app.test_client()
    original_commit = db.session.commit

    def failing_commit():
        raise RuntimeError("the database went away")

    db.session.commit = failing_commit  # the scoped session's commit, as the request's service calls it
    try:
        app.config["PROPAGATE_EXCEPTIONS"] = False
        response = post_form(client, "/auth/reset", {"email": "ada@example.org"})
    finally:
        del db.session.commit
    assert response.status_code == 500 and db.session.commit == original_commit
    assert mailbox.received == []
    assert db.session.scalars(select(Job)).all() == []


def test_a_duplicate_delivery_of_a_job_sends_once(app, mailbox):
    send_one()
    db.session.commit()
    key = only_job().key
    assert outbox.run(key) == "skipped" and outbox.run(key) == "skipped"
    assert len(mailbox.received) == 1


def test_two_consumers_delivered_the_same_job_at_once_send_it_once(app, mailbox, smtp_down, run_due_jobs):
    send_one()
    db.session.commit()  # refused: the job waits for its retry
    app.config["MAIL_PORT"] = mailbox.controller.port
    db.session.execute(update(Job).values(run_after=utcnow()))
    db.session.commit()
    key = only_job().key
    results: list[str] = []
    start = threading.Barrier(2)

    def consumer() -> None:
        with app.app_context():
            start.wait()
            results.append(outbox.run(key))

    threads = [threading.Thread(target=consumer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["done", "skipped"]
    assert len(mailbox.received) == 1


def test_smtp_down_the_job_retries_with_growing_delays_then_fails_for_good(app, mailbox, smtp_down, run_due_jobs):
    send_one()
    db.session.commit()
    job = only_job()
    assert (job.status, job.attempts) == ("pending", 1)
    assert job.last_error.startswith("ConnectionRefusedError")
    first_delay = job.run_after - job.started_at
    assert timedelta(seconds=29) < first_delay <= timedelta(seconds=31)
    assert run_due_jobs() == ["pending"]
    job = only_job()
    assert timedelta(seconds=59) < job.run_after - job.started_at <= timedelta(seconds=61), "doubled"
    statuses = []
    while only_job().status == "pending":
        statuses += run_due_jobs()
    assert statuses == ["pending"] * (app.config["JOBS_MAX_ATTEMPTS"] - 3) + ["failed"]
    job = only_job()
    assert (job.status, job.attempts) == ("failed", app.config["JOBS_MAX_ATTEMPTS"])
    assert jobs.failed_count() == 1 and mailbox.received == []


def test_a_job_that_raises_is_recorded_and_retried_never_dropped(app, run_due_jobs):
    calls = []

    @jobs.handles("test-boom")
    def boom(payload: dict) -> None:
        calls.append(payload)
        raise RuntimeError(f"boom {len(calls)}")

    try:
        jobs.enqueue("test-boom", {"n": 1}, label="a job that raises")
        db.session.commit()
        job = only_job()
        assert (job.status, job.last_error) == ("pending", "RuntimeError: boom 1")
        while only_job().status == "pending":
            run_due_jobs()
        assert only_job().status == "failed" and len(calls) == app.config["JOBS_MAX_ATTEMPTS"]
        assert only_job().last_error == f"RuntimeError: boom {len(calls)}"
    finally:
        del outbox.HANDLERS["test-boom"]


def test_a_job_that_writes_rows_and_mails_through_db_session_works_in_immediate_mode(app, mailbox):
    """Immediate mode runs a job inside the enqueuing session's commit: the handler gets a session of its own."""

    @jobs.handles("test-writer", forget_payload_when_done=True)
    def writer(payload: dict) -> None:
        user = make_user(payload["email"])
        mail.send(user.email, "Written by a job", "password_changed", user=user, reset_url="http://x/")
        db.session.commit()

    try:
        jobs.enqueue("test-writer", {"email": "written@example.org"}, label="a job that writes")
        db.session.commit()
        writer_job = db.session.scalar(select(Job).where(Job.kind == "test-writer"))
        assert (writer_job.status, writer_job.last_error, writer_job.payload) == ("done", None, {})
        assert db.session.scalar(select(User.email).where(User.email == "written@example.org"))
        assert mailbox.last_to("written@example.org").subject == "Written by a job"
    finally:
        del outbox.HANDLERS["test-writer"]
        outbox.FORGET_PAYLOAD_WHEN_DONE.discard("test-writer")


def test_a_job_of_an_unknown_kind_is_recorded_as_failing(app):
    jobs.enqueue("no-such-kind", {}, label="nobody handles this")
    db.session.commit()
    assert only_job().last_error == "KeyError: 'no-such-kind'"


def test_the_sweeper_enqueues_committed_jobs_whose_message_was_lost(app, mailbox, monkeypatch):
    """A process that died between its commit and its enqueue (here: the enqueue fails) loses nothing."""

    def lost(*_args, **_kwargs):
        raise ConnectionError("the queue is unreachable")

    monkeypatch.setattr(outbox, "run_jobs", type("Unreachable", (), {"__call__": lost, "schedule": lost})())
    send_one()
    db.session.commit()  # commits; the enqueue's failure is logged, not raised
    assert only_job().status == "pending" and mailbox.received == []
    assert outbox.sweep() == 0, "not yet: it may still be on its way"
    monkeypatch.undo()
    assert outbox.sweep(now=utcnow() + timedelta(minutes=2)) == 1
    assert only_job().status == "done" and len(mailbox.received) == 1


def test_the_sweeper_runs_again_a_job_whose_consumer_died(app, mailbox):
    send_one()
    db.session.commit()
    db.session.execute(update(Job).values(status="running", started_at=utcnow() - timedelta(minutes=20)))
    db.session.commit()
    assert outbox.sweep() == 1
    assert only_job().status == "done" and len(mailbox.received) == 2  # at least once (docs/jobs.md)


def test_staff_retry_starts_a_failed_job_from_its_first_attempt(app, mailbox, smtp_down, run_due_jobs):
    send_one()
    db.session.commit()
    while only_job().status == "pending":
        run_due_jobs()
    app.config["MAIL_PORT"] = mailbox.controller.port
    (retried,) = outbox.retry()
    assert retried.status == "pending" and retried.attempts == 0
    db.session.commit()
    assert only_job().status == "done" and len(mailbox.received) == 1


def test_finished_jobs_are_deleted_after_a_while_failed_ones_stay(app, smtp_down, run_due_jobs):
    send_one("done")
    db.session.commit()
    while only_job().status == "pending":
        run_due_jobs()
    db.session.execute(update(Job).values(status="done"))
    send_one("failed")
    db.session.commit()
    db.session.execute(update(Job).where(Job.label.endswith("failed")).values(status="failed"))
    db.session.commit()
    assert outbox.delete_finished() == 0
    assert outbox.delete_finished(now=utcnow() + timedelta(days=15)) == 1
    assert [job.label for job in db.session.scalars(select(Job))] == ["mail to ada@example.org: failed"]


def test_a_job_carries_the_request_id_of_the_request_that_caused_it(app, mailbox):
    from coursesite.request_id import request_id_bound

    with request_id_bound("req-123"):
        send_one()
        db.session.commit()
    assert only_job().request_id == "req-123"
