"""An admin sees a mail that failed for good on /staff/jobs and runs it again (axe on the page)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from coursesite.accounts import roles
from coursesite.extensions import db
from coursesite.jobs.models import Job
from tests.browser.support import add_failed_mail_job, log_in, serious_violations

pytestmark = pytest.mark.browser

PASSWORD = "staff browser jobs 9"


def test_an_admin_retries_a_failed_mail(page, live_app, live_server, smtp_server):
    with live_app.app_context():
        roles.create_admin("jobs.browser@example.org", PASSWORD, "Jo Bs")
        add_failed_mail_job("browser-failed-job", "Lost and found")
        db.session.remove()
    smtp_server.clear()
    log_in(page, live_server, "jobs.browser@example.org", "/staff/access", PASSWORD)
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
