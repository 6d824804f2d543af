"""The learner's module home, "My learning" and the module page's study box in chromium, at desktop and phone sizes:
progress bars named and with their figures in text, Continue and every page of the module visible and reachable, and
nothing serious for axe."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from coursesite.catalog.models import Lecture
from coursesite.extensions import db
from tests.browser.support import log_in, serious_violations
from tests.factories import grant_access, make_user, watch

pytestmark = pytest.mark.browser

MODULE = "/modules/sample-module"
HOME = f"{MODULE}/learn"
PAGE_LINKS = ["Study guide: ", "Glossary", "Bibliography", "Your notes", "Your attendance", "The test"]


def learner_part_way(live_app, email: str) -> None:
    """A learner with access who has finished the first lecture of the sample module."""
    with live_app.app_context():
        user = make_user(email)
        grant_access(user)
        first = db.session.scalar(select(Lecture).where(Lecture.slug == "first-steps"))
        watch(user, first, 1.0)
        db.session.remove()


def test_the_module_home_shows_labelled_progress_continue_and_every_page(page, live_app, live_server, size):
    email = f"home.{size}@example.org"
    learner_part_way(live_app, email)
    log_in(page, live_server, email, "/learning")
    page.goto(live_server + HOME)

    module_bar = page.get_by_role("progressbar", name="Your progress in this module")
    assert module_bar.is_visible()
    assert "1 of 2 lectures complete" in page.locator(".module-home-progress").inner_text()
    first = page.get_by_role("progressbar", name="Watched of “First steps”")
    assert first.is_visible() and first.get_attribute("value") == "100.0"
    assert page.locator(".lecture-progress-item").first.get_by_text("Complete").is_visible()
    for label in PAGE_LINKS:
        assert page.get_by_role("link", name=label).first.is_visible(), label
    assert serious_violations(page) == []

    page.get_by_role("link", name="Continue").click()
    page.wait_for_url(f"**{MODULE}/lectures/in-conversation")
    assert page.get_by_role("heading", level=1).inner_text() == "In conversation"


def test_my_learning_shows_each_modules_progress_and_continue(page, live_app, live_server, size):
    email = f"overview.{size}@example.org"
    learner_part_way(live_app, email)
    log_in(page, live_server, email, "/learning")
    bar = page.get_by_role("progressbar", name="Your progress in A Sample Module")
    assert bar.is_visible()
    assert "1 of 2 lectures complete" in page.locator(".learning-item").inner_text()
    assert page.get_by_role("link", name="Continue").is_visible()
    assert page.get_by_role("link", name="Module home").is_visible()
    assert serious_violations(page) == []
    page.get_by_role("link", name="Module home").click()
    page.wait_for_url(f"**{HOME}")


def test_the_module_page_gives_a_learner_with_access_their_study_box(page, live_app, live_server, size):
    email = f"study.{size}@example.org"
    learner_part_way(live_app, email)
    log_in(page, live_server, email, "/learning")
    page.goto(live_server + MODULE)
    study = page.locator(".study-status")
    assert study.get_by_role("progressbar", name="Your progress in this module").is_visible()
    assert study.get_by_role("link", name="Continue").is_visible()
    for label in PAGE_LINKS:
        assert study.get_by_role("link", name=label).first.is_visible(), label
    assert serious_violations(page) == []
