"""An admin sees a mail that failed for good on /staff/jobs and runs it again (axe on the page)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from coursesite.accounts import roles
from coursesite.extensions import db
from coursesite.jobs.models import Job
from coursesite.mail import draft
from coursesite.models_base import utcnow
from tests.browser.test_public_pages import serious_violations

pytestmark = pytest.mark.browser

PASSWORD = "staff browser jobs 9"


def test_an_admin_retries_a_failed_mail(page, live_app, live_server, smtp_server):
    with live_app.app_context():
        roles.create_admin("jobs.browser@example.org", PASSWORD, "Jo Bs")
        db.session.add(Job(key="browser-failed-job", kind="mail", label="mail to lost@example.org: Lost and found",
                           payload=draft("lost@example.org", "Lost and found", "password_changed",
                                         user=None, reset_url="https://x.test/r"), status="failed",
                           attempts=6, last_error="SMTPServerDisconnected: Connection unexpectedly closed",
                           created_at=utcnow(), run_after=utcnow(), finished_at=utcnow()))
        db.session.commit()
        db.session.remove()
    smtp_server.clear()
    page.goto(live_server + "/auth/login")
    page.get_by_label("Email address").fill("jobs.browser@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/staff/access")
    page.get_by_role("link", name="Jobs").click()
    page.wait_for_url("**/staff/jobs")
    assert page.get_by_role("heading", level=1).inner_text() == "Background jobs"
    assert "SMTPServerDisconnected" in page.locator("table").inner_text()
    assert serious_violations(page) == []

    page.get_by_role("button", name="Retry job").click()
    page.wait_for_url("**/staff/jobs")
    assert "1 job(s) queued again." in page.inner_text("body")
    assert "No failed jobs." in page.inner_text("body")
    assert serious_violations(page) == []
    assert [mail.subject for mail in smtp_server.to("lost@example.org")] == ["Lost and found"]
    with live_app.app_context():
        assert db.session.scalar(select(Job.status).where(Job.key == "browser-failed-job")) == "done"
        db.session.remove()
