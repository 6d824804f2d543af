"""Every staff page, as an admin at desktop and phone sizes: no serious axe violation (wide tables scroll in a region
the keyboard can reach), and the tables and buttons can be seen."""
from __future__ import annotations

import pytest

from coursesite.accounts import roles
from coursesite.extensions import db
from coursesite.jobs.models import Job
from coursesite.mail import draft
from coursesite.models_base import utcnow
from tests.browser.test_public_pages import serious_violations

pytestmark = pytest.mark.browser

PASSWORD = "staff browser pages 7"


def test_staff_pages_pass_axe_for_an_admin(page, size, live_app, live_server):
    email = f"staff.pages.{size}@example.org"
    with live_app.app_context():
        roles.create_admin(email, PASSWORD, "Sta Ff")
        db.session.add(Job(key=f"staff-pages-{size}", kind="mail", label="mail to lost@example.org: Lost",
                           payload=draft("lost@example.org", "Lost", "password_changed", user=None,
                                         reset_url="https://x.test/r"), status="failed", attempts=6,
                           last_error="SMTPServerDisconnected: Connection unexpectedly closed",
                           created_at=utcnow(), run_after=utcnow(), finished_at=utcnow()))
        db.session.commit()
        db.session.remove()
    page.goto(live_server + "/auth/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/staff/access")
    pages = (("/staff/access", "Access"), ("/staff/audit", "Audit log"), ("/staff/jobs", "Background jobs"))
    for path, heading in pages:
        page.goto(live_server + path)
        assert heading in page.get_by_role("heading", level=1).inner_text(), path
        assert serious_violations(page) == [], (size, path)
        for table in page.locator("table").all():
            assert table.is_visible(), (size, path)
    retry = page.get_by_role("button", name="Retry job").first
    colour, background = retry.evaluate(
        "b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]")
    assert retry.is_visible() and colour != background, (size, colour, background)
