"""The course evaluation (learner), the staff's evaluation and records pages (admin) and the organisation dashboard
with its members' learning (organisation admin), at desktop and phone sizes: no serious axe violation, and the
links and buttons can be seen."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from coursesite.accounts import roles
from coursesite.catalog.models import Lecture, Module
from coursesite.extensions import db
from coursesite.models_base import utcnow
from coursesite.organizations.models import Seat
from coursesite.organizations.services import new_nonce
from tests.browser.support import log_in, serious_violations
from tests.factories import (
    PASSWORD,
    evaluate,
    grant_access,
    make_licence,
    make_organisation,
    make_user,
    pass_test,
    watch,
)

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "evaluation browser pages 8"


def first_module() -> Module:
    return db.session.scalar(select(Module).where(Module.published.is_(True)).order_by(Module.id))


def passed_learner(email: str, module: Module, *, evaluated: bool = False):
    learner = make_user(email, full_name="Eva Luator")
    grant_access(learner, module)
    for lecture in db.session.scalars(select(Lecture).where(Lecture.module_id == module.id)):
        watch(learner, lecture)
    pass_test(learner, module)
    if evaluated:
        evaluate(learner, module, comments="Clear, with cases I can use.")
    return learner


def assert_visible(page, name: str, role: str = "link") -> None:
    control = page.get_by_role(role, name=name).first
    assert control.is_visible(), name


def test_a_learner_evaluates_and_reaches_the_certificate(page, size, live_app, live_server):
    email = f"evaluator.{size}@example.org"
    with live_app.app_context():
        module = first_module()
        slug = module.slug
        passed_learner(email, module)
        db.session.remove()
    log_in(page, live_server, email, "/learning")
    page.goto(f"{live_server}/modules/{slug}/evaluation")
    assert "Course evaluation" in page.get_by_role("heading", level=1).inner_text()
    assert serious_violations(page) == [], size
    submit = page.get_by_role("button", name="Send the evaluation and get my certificate")
    assert submit.is_visible()
    for radio in page.locator("input[type=radio][value='4']").all():
        radio.check()
    page.locator("input[type=radio][value='yes']").check()
    submit.click()
    page.wait_for_url("**/certificates")
    page.goto(f"{live_server}/modules/{slug}/test")
    assert_visible(page, "Ask for an accommodation")
    page.get_by_role("link", name="Ask for an accommodation").click()
    assert "Ask for an accommodation" in page.get_by_role("heading", level=1).inner_text()
    assert serious_violations(page) == [], size
    assert_visible(page, "Send the request", "button")


def test_staff_evaluation_records_and_accommodation_pages(page, size, live_app, live_server):
    email = f"reports.{size}@example.org"
    with live_app.app_context():
        roles.create_admin(email, ADMIN_PASSWORD, "Rep Orts")
        module = first_module()
        slug = module.slug
        passed_learner(f"rated.{size}@example.org", module, evaluated=True)
        db.session.remove()
    log_in(page, live_server, email, "/staff/access", ADMIN_PASSWORD)
    assert_visible(page, "Reports")
    pages = (("/staff/evaluations", "Course evaluations"), (f"/staff/evaluations/{slug}", ""),
             ("/staff/records", "Sponsor records"), ("/staff/accommodations", "Accommodation requests"))
    for path, heading in pages:
        page.goto(live_server + path)
        assert heading in page.get_by_role("heading", level=1).inner_text(), path
        assert serious_violations(page) == [], (size, path)
        for table in page.locator("table").all():
            assert table.is_visible(), (size, path)
    page.goto(f"{live_server}/staff/evaluations/{slug}")
    assert_visible(page, "Download the evaluations as CSV")
    chart = page.get_by_role("img", name="Mean rating per lecture")
    assert chart.is_visible() and chart.bounding_box()["width"] > 100, size
    page.goto(f"{live_server}/staff/records")
    assert_visible(page, "Attendance", "button")


def test_the_organisation_dashboard_shows_members_learning(page, size, live_app, live_server):
    email = f"org.head.{size}@example.org"
    with live_app.app_context():
        module = first_module()
        head = make_user(email, full_name="Orla Head")
        organization = make_organisation(head, name=f"Riverside Practice {size}")
        licence = make_licence(organization, 4, slug=module.slug)
        member = passed_learner(f"org.member.{size}@example.org", module, evaluated=True)
        db.session.add(Seat(licence_id=licence.id, email=member.email, user_id=member.id, status="active",
                            invitation_nonce=new_nonce(), invited_at=utcnow() - timedelta(days=1),
                            accepted_at=utcnow()))
        db.session.commit()
        dashboard = f"/organizations/{organization.id}"
        db.session.remove()
    log_in(page, live_server, email, dashboard, PASSWORD)
    assert serious_violations(page) == [], size
    for heading in ("Lectures completed", "Progress", "Test", "Certificate"):
        assert page.get_by_role("columnheader", name=heading).first.is_visible(), (size, heading)
    assert_visible(page, "Verify the certificate")
    assert "Clear, with cases I can use." not in page.content()
