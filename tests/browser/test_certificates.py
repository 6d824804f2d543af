"""Certificate pages in a browser, at desktop and phone sizes: the learner's certificates and transcript, the public
verification page (a visitor), and the staff's certificate records (an admin). No serious axe violation, and the
links and buttons can be seen."""
from __future__ import annotations

import pytest

from coursesite.accounts import roles
from coursesite.extensions import db
from tests.browser.support import log_in, log_out, serious_violations
from tests.factories import certify, make_user, module_id

pytestmark = pytest.mark.browser

STAFF_PASSWORD = "certificate records 9"


def visible_and_contrasting(locator) -> bool:
    colour, background = locator.evaluate("e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]")
    return locator.is_visible() and colour != background


def test_certificate_pages_pass_axe_for_learner_visitor_and_admin(page, size, live_app, live_server):
    learner_email, admin_email = f"certified.{size}@example.org", f"records.{size}@example.org"
    with live_app.app_context():
        learner = make_user(learner_email, full_name="Αικατερίνη Παπαδοπούλου")
        code = certify(learner, module_id()).code
        roles.create_admin(admin_email, STAFF_PASSWORD, "Rec Ords")
        db.session.remove()

    log_in(page, live_server, learner_email, "/learning")
    page.goto(live_server + "/certificates")
    assert "Your certificates" in page.get_by_role("heading", level=1).inner_text()
    assert serious_violations(page) == [], (size, "/certificates")
    for name in ("PDF (A4)", "PDF (US Letter)", "Verification page"):
        assert page.get_by_role("link", name=name).first.is_visible(), (size, name)
    assert visible_and_contrasting(page.get_by_role("button", name="Save note on A Sample Module").first), size
    assert page.get_by_role("table").first.is_visible(), size
    log_out(page)

    page.goto(f"{live_server}/certificates/verify/{code}")
    assert "Certificate verification" in page.get_by_role("heading", level=1).inner_text()
    assert page.get_by_text("Αικατερίνη Παπαδοπούλου").is_visible()
    assert serious_violations(page) == [], (size, "verification page")
    assert page.get_by_role("link", name="Check another code").is_visible(), size
    page.goto(f"{live_server}/certificates/verify")
    assert serious_violations(page) == [], (size, "verification form")
    page.get_by_label("Certificate code or verification link").fill(code)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"**/certificates/verify/{code}")

    log_in(page, live_server, admin_email, "/staff/access", STAFF_PASSWORD)
    page.goto(live_server + "/staff/certificates")
    assert "Certificates" in page.get_by_role("heading", level=1).inner_text()
    assert serious_violations(page) == [], (size, "/staff/certificates")
    assert page.get_by_role("table").is_visible(), size
    assert visible_and_contrasting(page.get_by_role("button", name="Search certificates")), size
    page.locator("summary").first.click()
    assert visible_and_contrasting(page.get_by_role("button", name="Revoke").first), size
    assert serious_violations(page) == [], (size, "/staff/certificates, actions open")
