"""Steps the browser tests share: axe's serious findings, logging in through the form and logging out."""
from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

from coursesite.extensions import db
from coursesite.jobs.models import Job
from coursesite.mail import draft
from coursesite.models_base import utcnow
from tests.factories import PASSWORD

SERIOUS = {"serious", "critical"}


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']}"
        for violation in results.response["violations"]
        if violation["impact"] in SERIOUS
    ]


def log_in(page, live_server: str, email: str, landing: str, password: str = PASSWORD) -> None:
    """The login form, filled in and submitted; waits for the page the user lands on (``landing``, a path)."""
    page.goto(live_server + "/auth/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{landing}")


def log_out(page) -> None:
    page.context.clear_cookies()


def add_failed_mail_job(key: str, subject: str) -> None:
    """A mail to lost@example.org that failed for good (in an app context; committed)."""
    db.session.add(Job(key=key, kind="mail", label=f"mail to lost@example.org: {subject}",
                       payload=draft("lost@example.org", subject, "password_changed", user=None,
                                     reset_url="https://x.test/r"), status="failed", attempts=6,
                       last_error="SMTPServerDisconnected: Connection unexpectedly closed",
                       created_at=utcnow(), run_after=utcnow(), finished_at=utcnow()))
    db.session.commit()
