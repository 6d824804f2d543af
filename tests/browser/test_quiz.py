"""The CE test as a learner, at desktop and phone sizes: the test page, an attempt (answers saved as they are
chosen) and the result page have no serious axe violation, and their buttons and links can be seen."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from coursesite.accounts import roles
from coursesite.assessment.attempts import start_attempt, submit_attempt
from coursesite.billing.access import grant_entitlement
from coursesite.catalog.models import Lecture, Module
from coursesite.extensions import db
from tests.browser.support import log_in, serious_violations
from tests.factories import PASSWORD, grant_access, make_user, watch

pytestmark = pytest.mark.browser


def ready_learner(email: str) -> tuple[str, int, int]:
    """A learner who may sit the first module's test: the module's slug and id, the learner's id. In an app
    context."""
    module = db.session.scalar(select(Module).where(Module.published.is_(True)).order_by(Module.id))
    learner = make_user(email, full_name="Tess Taker")
    grant_access(learner, module)
    grant_entitlement(learner.id, module.id, kind="certificate", days=365, source="grant")
    db.session.commit()
    for lecture in db.session.scalars(select(Lecture).where(Lecture.module_id == module.id)):
        watch(learner, lecture)
    return module.slug, module.id, learner.id


def test_a_learner_takes_the_test_and_reads_the_result(page, size, live_app, live_server):
    email = f"quiz.{size}@example.org"
    with live_app.app_context():
        slug, _, _ = ready_learner(email)
        db.session.remove()
    log_in(page, live_server, email, "/learning")
    page.goto(f"{live_server}/modules/{slug}/test")
    assert page.get_by_role("heading", level=1).inner_text() == "CE test"
    assert serious_violations(page) == [], size
    start = page.get_by_role("button", name="Start the test")
    assert start.is_visible()
    start.click()
    page.wait_for_url("**/test/attempts/*")
    assert serious_violations(page) == [], size
    questions = page.locator("fieldset")
    for index in range(questions.count()):
        question = questions.nth(index)
        question.locator("input[type=radio]").first.check()
        saved = question.locator(".quiz-saved")
        saved.filter(has_text="Saved.").wait_for()
    for name in ("Save my answers", "Submit for grading"):
        assert page.get_by_role("button", name=name).is_visible(), name
    page.reload()  # the answers were saved on the server as they were chosen
    assert page.locator("input[type=radio]:checked").count() == questions.count()
    page.get_by_role("button", name="Submit for grading").click()
    page.wait_for_url("**/result")
    assert "Test result" in page.get_by_role("heading", level=1).inner_text()
    assert serious_violations(page) == [], size
    assert page.locator(".quiz-score").is_visible()
    for link in page.locator("main a").all():
        assert link.is_visible(), link.inner_text()


def test_staff_see_a_locked_learner_and_the_reset_button(page, size, live_app, live_server):
    email, admin = f"locked.{size}@example.org", f"attempts.admin.{size}@example.org"
    with live_app.app_context():
        _, module_id, user_id = ready_learner(email)
        for _ in range(3):
            submit_attempt(user_id, start_attempt(user_id, module_id).id)
        roles.create_admin(admin, PASSWORD, "Ad Min")
        db.session.remove()
    log_in(page, live_server, admin, "/staff/access")
    page.goto(f"{live_server}/staff/attempts?email={email}")
    assert "Test attempts" in page.get_by_role("heading", level=1).inner_text()
    assert serious_violations(page) == [], size
    assert page.get_by_role("button", name="Reset attempts for this module").is_visible()
    assert page.get_by_label("Reason").is_visible()
