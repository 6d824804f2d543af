"""The CE path end to end, as a person clicks it (issue 15): a learner who has watched every lecture and holds the
certificate add-on opens the module's test, starts it, answers every question, submits and sees the pass, fills in
the course evaluation, lands on their certificates, downloads the certificate PDF (read back with pypdf: their name
and the code) and opens its public verification page logged out. Axe-core finds no serious violation on any page on
the way.

The learner is made for this test (factories and services) in the shared browser database, so no other browser test
sees them. The correct choices are read from the database, never from the page: the page must not carry them.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from coursesite.assessment.models import AttemptQuestion, Choice
from coursesite.billing.access import grant_entitlement
from coursesite.catalog.models import Lecture, Module
from coursesite.certificates.models import Certificate
from coursesite.extensions import db
from tests.browser.support import log_in, serious_violations
from tests.certificates.pdf_support import pdf_text
from tests.factories import grant_access, make_user, watch

pytestmark = pytest.mark.browser

EMAIL = "ce.path@example.org"
NAME = "Renée Åberg-Okafor"


def ready_for_the_test(email: str) -> str:
    """A learner who may sit the first published module's test (access, the certificate add-on, every lecture
    watched); the module's slug. In an app context."""
    module = db.session.scalar(select(Module).where(Module.published.is_(True)).order_by(Module.id))
    learner = make_user(email, full_name=NAME)
    grant_access(learner, module)
    grant_entitlement(learner.id, module.id, kind="certificate", days=365, source="grant")
    db.session.commit()
    for lecture in db.session.scalars(select(Lecture).where(Lecture.module_id == module.id)):
        watch(learner, lecture)
    return module.slug


def correct_choices(attempt_id: int) -> dict[int, int]:
    """Question id -> the id of its correct choice, for each question of the attempt (from the database)."""
    rows = db.session.execute(
        select(AttemptQuestion.question_id, Choice.id)
        .join(Choice, Choice.question_id == AttemptQuestion.question_id)
        .where(AttemptQuestion.attempt_id == attempt_id, Choice.correct.is_(True)))
    return dict(rows.all())


def no_serious_violations(page, where: str) -> None:
    assert serious_violations(page) == [], where


def test_a_ready_learner_passes_evaluates_downloads_and_verifies_the_certificate(browser, page, live_app,
                                                                                 live_server, tmp_path: Path):
    with live_app.app_context():
        slug = ready_for_the_test(EMAIL)
        db.session.remove()
    log_in(page, live_server, EMAIL, "/learning")

    # The test page: nothing is missing, so the learner can start.
    page.goto(f"{live_server}/modules/{slug}/test")
    assert page.get_by_role("heading", level=1).inner_text() == "CE test"
    no_serious_violations(page, "test page")
    page.get_by_role("button", name="Start the test").click()
    page.wait_for_url(re.compile(r".*/test/attempts/\d+$"))
    attempt_id = int(page.url.rsplit("/", 1)[1])
    no_serious_violations(page, "attempt page")

    # Every question answered correctly (the right choices looked up in the database), then submitted.
    with live_app.app_context():
        answers = correct_choices(attempt_id)
        db.session.remove()
    questions = page.locator("fieldset")
    assert questions.count() == len(answers) > 0
    for question_id, choice_id in answers.items():
        page.locator(f"#q{question_id}-c{choice_id}").check()
        page.locator(f".quiz-saved[data-saved-for='{question_id}']").filter(has_text="Saved.").wait_for()
    page.get_by_role("button", name="Submit for grading").click()
    page.wait_for_url(f"**/test/attempts/{attempt_id}/result")
    score = page.locator(".quiz-score")
    assert "100%" in score.inner_text() and "You passed" in score.inner_text()
    no_serious_violations(page, "result page")

    # The course evaluation: a rating in every group, a comment, sent.
    page.get_by_role("link", name="Evaluate the course and get your certificate").click()
    page.wait_for_url(f"**/modules/{slug}/evaluation")
    assert "Course evaluation" in page.get_by_role("heading", level=1).inner_text()
    no_serious_violations(page, "evaluation page")
    groups = page.locator("fieldset.rating-group")
    assert groups.count() > 3
    for group in groups.all():
        yes = group.get_by_label("Yes", exact=True)
        (yes if yes.count() else group.get_by_label(re.compile(r"^5 "))).check()
    page.get_by_label(re.compile(r"^Comments")).fill("Short lectures, and a test that followed them closely.")
    page.get_by_role("button", name="Send the evaluation and get my certificate").click()

    # The certificates page: the new certificate, its PDF and its verification page.
    page.wait_for_url("**/certificates")
    assert "Your certificates" in page.get_by_role("heading", level=1).inner_text()
    assert page.get_by_text("Your certificate is issued").is_visible()
    no_serious_violations(page, "certificates page")
    item = page.locator(".certificate-item")
    assert item.count() == 1
    code = item.locator(".certificate-code code").inner_text().strip()
    with live_app.app_context():
        certificate = db.session.scalar(select(Certificate).where(Certificate.code == code))
        assert certificate is not None and certificate.attempt_id == attempt_id
        assert certificate.snapshot["participant"]["name"] == NAME
        db.session.remove()

    pdf_link = item.get_by_role("link", name="PDF (A4)")
    assert pdf_link.is_visible()
    with page.expect_download() as download_info:
        pdf_link.click()
    saved = tmp_path / "certificate.pdf"
    download_info.value.save_as(saved)
    text = pdf_text(saved.read_bytes())
    assert NAME in text and code in text

    verification = item.get_by_role("link", name="Verification page")
    assert verification.is_visible()
    address = verification.get_attribute("href")
    assert address == f"/certificates/verify/{code}"

    # The public verification page, for someone who is not logged in.
    visitor = browser.new_context()
    try:
        stranger = visitor.new_page()
        stranger.goto(live_server + address)
        assert "Certificate verification" in stranger.get_by_role("heading", level=1).inner_text()
        assert stranger.get_by_role("status").inner_text().startswith("Valid.")
        assert stranger.get_by_text(NAME).is_visible()
        assert stranger.get_by_text(code).is_visible()
        assert stranger.get_by_role("link", name="Log in").first.is_visible()  # the visitor is logged out
        no_serious_violations(stranger, "verification page")
    finally:
        visitor.close()
