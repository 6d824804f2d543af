"""The reading pages in chromium as a learner with access, at desktop and phone sizes: no serious axe violation on
the study guide, glossary and bibliography, their links and buttons can be seen, a glossary definition is reachable
by keyboard (and dismissed with Escape), and the glossary filter narrows the list as the learner types."""
from __future__ import annotations

import pytest

from coursesite.extensions import db
from tests.browser.support import log_in, serious_violations
from tests.factories import grant_access, make_user

pytestmark = pytest.mark.browser

MODULE = "/modules/sample-module"


@pytest.fixture
def reader(request, page, live_app, live_server, size):
    """The page, logged in as a learner with access (one account per test and size: the live database is shared)."""
    email = f"reader.{request.node.originalname.removeprefix('test_')[:40]}.{size}@example.org"
    with live_app.app_context():
        grant_access(make_user(email))
        db.session.remove()
    log_in(page, live_server, email, "/learning")
    return page


def visible_with_contrast(locator) -> bool:
    colour, background = locator.evaluate(
        "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]")
    return locator.is_visible() and colour != background


def test_reading_pages_pass_axe_and_show_their_links_and_buttons(reader, live_server, size):
    page = reader
    page.goto(live_server + f"{MODULE}/guides/overview")
    assert page.get_by_role("heading", level=1).inner_text() == "An overview"
    assert serious_violations(page) == [], size
    assert page.get_by_role("link", name="Ideas in order").is_visible()
    assert visible_with_contrast(page.get_by_role("button", name="Print this guide")), size

    page.goto(live_server + f"{MODULE}/glossary")
    assert serious_violations(page) == [], size
    assert page.get_by_role("link", name="F", exact=True).is_visible()
    assert visible_with_contrast(page.get_by_role("button", name="Filter")), size

    page.goto(live_server + f"{MODULE}/bibliography")
    assert serious_violations(page) == [], size
    for name in ("BibTeX (.bib)", "RIS (.ris)", "Seminal works only (1)"):
        assert page.get_by_role("link", name=name).is_visible(), (size, name)


def test_a_glossary_definition_is_reachable_by_keyboard(reader, live_server, size):
    page = reader
    page.goto(live_server + f"{MODULE}/guides/overview")
    term = page.locator(".gloss-term").first
    tip = page.locator("#guide-tip-first-idea")
    assert not tip.is_visible()
    for _ in range(60):  # Tab through the page until the term's link has the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('gloss-term')"):
            break
    assert page.evaluate("document.activeElement.getAttribute('aria-describedby')") == "guide-tip-first-idea"
    assert tip.is_visible() and tip.inner_text() == "The idea that comes first."
    assert serious_violations(page) == [], size  # with the definition shown

    page.keyboard.press("Escape")
    assert not tip.is_visible()
    page.keyboard.press("Enter")
    page.wait_for_url("**/glossary#term-first-idea")
    assert page.locator("#term-first-idea").is_visible()
    term.page.go_back()
    assert page.locator(".gloss-term").first.is_visible()


def test_the_glossary_filter_narrows_as_the_learner_types(reader, live_server):
    page = reader
    page.goto(live_server + f"{MODULE}/glossary")
    page.get_by_label("Filter terms").fill("second")
    page.locator("#term-first-idea").wait_for(state="hidden")
    assert page.locator("#term-second-idea").is_visible()
    assert page.locator("#glossary-count").inner_text() == "1 of 2 terms match “second”."
    page.get_by_label("Filter terms").fill("")
    page.locator("#term-first-idea").wait_for(state="visible")
    assert page.locator("#glossary-count").inner_text() == "2 terms."


def test_visitors_see_the_locked_reading_pages_without_violations(page, live_server, size):
    for path in ("/guides/overview", "/glossary", "/bibliography"):
        response = page.goto(live_server + MODULE + path)
        assert response.status == 403, path
        assert "This page is for learners with access" in page.locator("main").inner_text()
        assert serious_violations(page) == [], (size, path)
        assert visible_with_contrast(page.get_by_role("link", name="See prices and buy access")), (size, path)
