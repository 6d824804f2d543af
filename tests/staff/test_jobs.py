"""``/staff/jobs`` and ``flask jobs``: failed jobs are seen and retried (by staff with ``manage_jobs``, audited)."""
from __future__ import annotations

from sqlalchemy import select

from coursesite import mail
from coursesite.accounts.models import AuditEvent
from coursesite.extensions import db
from coursesite.jobs.models import Job
from tests.factories import make_user
from tests.mail_sink import free_port
from tests.support import csrf_token, login_as


class Person:
    full_name = "Ada Testwright"


def failed_mail(app, run_due_jobs, subject: str = "Never arrived") -> Job:
    """A mail whose SMTP server refused every attempt."""
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()
    mail.send("ada@example.org", subject, "password_changed", user=Person(), reset_url="https://x.test/r")
    db.session.commit()
    while "pending" in run_due_jobs():
        pass
    app.config["MAIL_PORT"] = port
    return db.session.scalars(select(Job).where(Job.label.endswith(subject))).one()


def test_staff_see_a_failed_mail_and_retry_it(app, mailbox, run_due_jobs):
    job = failed_mail(app, run_due_jobs)
    admin = make_user("admin@example.org", role="admin")
    client = login_as(app, admin)
    page = client.get("/staff/jobs")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "mail to ada@example.org: Never arrived" in text and "ConnectionRefusedError" in text
    assert "https://x.test/r" not in text, "the message itself (its links) is not shown"
    assert client.post("/staff/jobs/retry", data={"job": str(job.id)}).status_code == 400, "CSRF"
    token = csrf_token(client, "/staff/jobs")
    response = client.post("/staff/jobs/retry", data={"job": str(job.id), "csrf_token": token})
    assert response.status_code == 302 and response.location.endswith("/staff/jobs")
    assert [received.subject for received in mailbox.received] == ["Never arrived"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "jobs.retried")).one()
    assert (event.actor_id, event.target, event.details) == (admin.id, f"jobs:{job.id}", {"kind": "mail"})


def test_retry_all_and_a_bad_request(app, mailbox, run_due_jobs):
    failed_mail(app, run_due_jobs, "First")
    failed_mail(app, run_due_jobs, "Second")
    client = login_as(app, make_user("admin@example.org", role="admin"))
    token = csrf_token(client, "/staff/jobs")
    assert client.post("/staff/jobs/retry", data={"csrf_token": token}).status_code == 400
    client.post("/staff/jobs/retry", data={"all": "1", "csrf_token": token})
    assert sorted(received.subject for received in mailbox.received) == ["First", "Second"]


def test_other_people_cannot_see_or_retry_jobs(app, run_due_jobs):
    job = failed_mail(app, run_due_jobs)
    for role in ("learner", "editor", "moderator"):
        client = login_as(app, make_user(f"{role}@example.org", role=role))
        assert client.get("/staff/jobs").status_code in (403, 404)
        token = csrf_token(client, "/account")
        assert client.post("/staff/jobs/retry", data={"job": str(job.id), "csrf_token": token}).status_code in (403,
                                                                                                               404)
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "failed"


def test_the_command_line_lists_and_retries_failed_jobs(app, runner, mailbox, run_due_jobs):
    job = failed_mail(app, run_due_jobs)
    listed = runner.invoke(args=["jobs", "failed"])
    assert f"{job.id}\t" in listed.output and "Never arrived" in listed.output and "1 failed job(s)" in listed.output
    assert runner.invoke(args=["jobs", "retry"]).exit_code == 2
    result = runner.invoke(args=["jobs", "retry", str(job.id)])
    assert result.exit_code == 0 and "1 job(s) queued again" in result.output
    assert [received.subject for received in mailbox.received] == ["Never arrived"]
    assert runner.invoke(args=["jobs", "retry", "--all"]).output.startswith("0 job(s)")
    assert runner.invoke(args=["jobs", "work"]).exit_code == 1, "immediate mode has nothing to consume"
