"""Every staff page, as an admin at desktop and phone sizes: no serious axe violation (wide tables scroll in a region
the keyboard can reach), and the tables and buttons can be seen."""
from __future__ import annotations

import pytest
from sqlalchemy import delete

from coursesite.accounts import roles
from coursesite.extensions import db
from coursesite.jobs.models import Job
from tests.browser.support import add_failed_mail_job, log_in, serious_violations

pytestmark = pytest.mark.browser

PASSWORD = "staff browser pages 7"


def test_staff_pages_pass_axe_for_an_admin(page, size, live_app, live_server):
    email = f"staff.pages.{size}@example.org"
    with live_app.app_context():
        roles.create_admin(email, PASSWORD, "Sta Ff")
        add_failed_mail_job(f"staff-pages-{size}", "Lost")
        db.session.remove()
    log_in(page, live_server, email, "/staff/access", PASSWORD)
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
    with live_app.app_context():  # the live server's database is shared by the browser tests: leave no failed job
        db.session.execute(delete(Job).where(Job.key == f"staff-pages-{size}"))
        db.session.commit()
        db.session.remove()
