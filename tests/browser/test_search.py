"""The search box in the header and the results page, in Chromium, checked by axe-core at desktop and phone sizes
as a visitor and as a learner."""
from __future__ import annotations

import pytest

from coursesite.extensions import db
from tests.browser.support import log_in, serious_violations
from tests.factories import grant_access, make_user

pytestmark = pytest.mark.browser


def search_from_the_header(page, words: str) -> None:
    box = page.get_by_role("search", name="Site").get_by_role("searchbox", name="Search")
    assert box.is_visible()
    box.fill(words)
    box.press("Enter")
    page.wait_for_url("**/search?q=*")


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_a_visitor_finds_speakers_from_the_header(page, live_server, size):
    page.goto(live_server + "/catalog")
    search_from_the_header(page, "fictional")
    assert page.get_by_role("heading", level=1).inner_text() == "Search"
    hit = page.get_by_role("link", name="Bo Fixture, PsyD")
    assert hit.is_visible()
    assert page.locator(".search-hit mark").first.inner_text().lower() == "fictional"
    assert page.get_by_role("link", name="Log in").last.is_visible()  # to search the modules' content
    assert fits(page), size
    assert serious_violations(page) == []
    hit.click()
    page.wait_for_url("**/speakers/bo-fixture")


def test_a_visitor_gets_a_message_for_a_search_of_punctuation(page, live_server, size):
    page.goto(live_server + "/")
    search_from_the_header(page, '"((*^:")')
    assert "no letters or numbers" in page.locator(".search-summary").inner_text()
    assert fits(page), size
    assert serious_violations(page) == []


def test_a_learner_finds_a_transcript_cue_and_opens_the_lecture_there(page, live_app, live_server, size):
    email = f"searcher.{size}@example.org"
    with live_app.app_context():
        grant_access(make_user(email))
        db.session.remove()
    log_in(page, live_server, email, "/learning")
    search_from_the_header(page, "transcript cues")
    group = page.get_by_role("region", name="A Sample Module")
    hit = group.get_by_role("link", name="In conversation")
    assert hit.is_visible()
    assert "Transcript at 0:02" in group.inner_text()
    assert page.get_by_role("searchbox", name="Search for").input_value() == "transcript cues"
    assert fits(page), size
    assert serious_violations(page) == []
    hit.click()
    page.wait_for_url("**/modules/sample-module/lectures/in-conversation?t=2.2")
    assert page.get_by_role("heading", level=1).inner_text() == "In conversation"


def test_a_learner_pages_through_results(page, live_app, live_server, size):
    email = f"pager.{size}@example.org"
    with live_app.app_context():
        grant_access(make_user(email))
        db.session.remove()
    log_in(page, live_server, email, "/learning")
    page.goto(live_server + "/search?q=idea&page=9")
    assert "There is no page 9" in page.locator(".search-summary").inner_text()
    assert page.get_by_role("link", name="First idea").is_visible()
    assert fits(page), size
    assert serious_violations(page) == []
