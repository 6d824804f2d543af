"""The preview lecture plays in a real browser, its captions load, and the transcript seeks the player."""
import pytest

from tests.browser.support import serious_violations

pytestmark = pytest.mark.browser


def test_preview_lecture_plays_with_captions_and_interactive_transcript(page, live_server):
    page.goto(live_server + "/modules/sample-module")
    page.get_by_role("link", name="First steps").click()
    page.wait_for_url("**/lectures/first-steps")
    player = page.locator("#player")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    assert player.evaluate("p => p.duration") == pytest.approx(4.0, abs=0.2)
    page.wait_for_function("document.getElementById('player').textTracks[0].cues.length === 2")

    assert page.get_by_role("link", name="Play from 0:00").is_visible()
    assert page.locator("li.cue .cue-text").first.inner_text() == "Welcome to the first steps."
    page.get_by_role("link", name="Play from 0:02").click()
    page.wait_for_function("document.getElementById('player').currentTime >= 2.0")
    assert page.get_by_role("link", name="Play from 0:02").get_attribute("aria-current") == "true"
    assert serious_violations(page) == []
