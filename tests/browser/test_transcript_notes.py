"""The lecture page's transcript and private notes in chromium: transcript links, the filter and notes work with
JavaScript disabled; with it, a note takes the player's current time, note and transcript times seek in place, the
current line is marked and announced; axe finds nothing serious on the lecture and notes pages (desktop and phone)."""
from __future__ import annotations

import pytest

from coursesite.extensions import db
from tests.browser.support import log_in, serious_violations
from tests.factories import grant_access, make_user

pytestmark = pytest.mark.browser

FIRST = "/modules/sample-module/lectures/first-steps"        # preview audio, 4 s, cues at 0:00 and 0:02
LECTURE = "/modules/sample-module/lectures/in-conversation"  # video, 5 s, cues at 0:00 (Ada) and 0:02.2 (Bo)
NOTES = "/modules/sample-module/notes"


def learner(live_app, email: str) -> str:
    with live_app.app_context():
        grant_access(make_user(email))
        db.session.remove()
    return email


def player_time(page) -> float:
    return page.evaluate("document.getElementById('player').currentTime")


def test_transcript_filter_and_notes_work_without_javascript(browser, live_app, live_server):
    email = learner(live_app, "no-js@example.org")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server + FIRST)
        page.get_by_role("link", name="Play from 0:02").click()
        page.wait_for_url(f"**{FIRST}?t=2")
        assert page.locator("#player").get_attribute("src").endswith("#t=2.0")
        assert page.get_by_role("link", name="Play from 0:02").get_attribute("aria-current") == "true"
        # The media fragment starts the player there, with no script of ours running.
        page.wait_for_function("() => document.getElementById('player').readyState >= 1")
        assert player_time(page) == pytest.approx(2.0, abs=0.3)

        page.get_by_label("Find words in the transcript").fill("second")
        page.get_by_role("button", name="Find").click()
        page.wait_for_url("**?find=second")
        assert page.locator("li.cue").count() == 1
        assert "1 of 2 lines contain “second”." in page.locator("#transcript-count").inner_text()
        page.get_by_role("link", name="Show every line").click()
        assert page.locator("li.cue").count() == 2

        log_in(page, live_server, email, "/learning")
        page.goto(live_server + LECTURE)
        page.get_by_label("Time").fill("0:03")
        page.get_by_label("Note", exact=True).fill("Typed without scripts")
        page.get_by_role("button", name="Save note").click()
        page.wait_for_url(f"**{LECTURE}#note-*")
        note = page.locator(".note").filter(has_text="Typed without scripts")
        assert note.get_by_role("link", name="Play from 0:03").get_attribute("href") == f"{LECTURE}?t=3"
        assert page.get_by_role("status").filter(has_text="Note saved at 0:03.").count() == 1
    finally:
        context.close()


def test_a_note_takes_the_current_time_and_times_seek_in_place(page, live_app, live_server):
    log_in(page, live_server, learner(live_app, "with-js@example.org"), "/learning")
    page.goto(live_server + LECTURE)
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")
    page.evaluate("window.samePage = true")  # gone if anything below reloaded the page

    # On request, each line is announced as the player reaches it (off by default: it would talk over the speaker).
    announce = page.get_by_label("Announce each line to screen readers as it plays")
    assert announce.is_visible() and not announce.is_checked()
    announce.check()
    page.evaluate("document.getElementById('player').currentTime = 2.3")
    page.wait_for_function("() => document.getElementById('transcript-live').textContent.startsWith('0:02 Bo')")
    announce.uncheck()

    # The transcript: a time plays from there, marks the line beyond colour and announces it politely.
    page.get_by_role("link", name="Play from 0:02").click()
    page.wait_for_function("() => document.getElementById('player').currentTime >= 2.2")
    current = page.locator("li.cue-current")
    assert current.get_attribute("id") == "cue-1"
    assert current.locator("a.cue-time").get_attribute("aria-current") == "true"
    assert current.evaluate("item => getComputedStyle(item).fontWeight") == "600"
    assert current.evaluate("item => getComputedStyle(item.querySelector('.cue-time'), '::before').content") != "none"
    page.wait_for_function("() => document.getElementById('transcript-live').textContent"
                           ".startsWith('Playing from 0:02 Bo')")
    assert page.locator("#transcript-live").get_attribute("aria-live") == "polite"
    assert page.evaluate("document.activeElement.getAttribute('aria-current')") == "true"  # focus stayed put

    # The filter narrows the lines as the learner types.
    page.get_by_label("Find words in the transcript").fill("what do")
    assert page.locator("li.cue:visible").count() == 1
    page.wait_for_function("() => document.getElementById('transcript-count').textContent.startsWith('1 of 2')")
    page.get_by_label("Find words in the transcript").fill("")
    assert page.locator("li.cue:visible").count() == 2

    # A note takes the player's time; saving keeps the page (and the player) where it was.
    page.evaluate("const p = document.getElementById('player'); p.pause(); p.currentTime = 3.4")
    page.wait_for_function("() => document.getElementById('note-time').value === '0:03'")
    page.get_by_label("Note", exact=True).fill("Bo on where transcripts come from")
    page.get_by_role("button", name="Save note").click()
    note = page.locator(".note").filter(has_text="Bo on where transcripts come from")
    note.wait_for()
    assert note.locator("a.note-time").inner_text().endswith("0:03")
    assert page.evaluate("window.samePage") is True
    assert page.get_by_label("Note", exact=True).input_value() == ""

    # A note's time seeks there without a reload.
    page.evaluate("document.getElementById('player').currentTime = 0")
    note.get_by_role("link", name="Play from 0:03").click()
    page.wait_for_function("() => document.getElementById('player').currentTime >= 3.3")
    assert page.evaluate("window.samePage") is True

    # Edit and delete, in place.
    note.locator("summary").click()
    note.get_by_label("Text of the note at 0:03").fill("Rewritten")
    note.get_by_role("button", name="Save changes").click()
    page.locator(".note").filter(has_text="Rewritten").wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".note").filter(has_text="Rewritten").get_by_role("button", name="Delete the note at 0:03").click()
    page.get_by_text("No notes on this lecture yet.").wait_for()
    assert page.evaluate("window.samePage") is True


def test_lecture_and_notes_pages_pass_axe_with_visible_controls(page, live_app, live_server, size):
    log_in(page, live_server, learner(live_app, f"axe-{size}@example.org"), "/learning")
    page.goto(live_server + LECTURE + "?t=2.2")
    page.get_by_label("Note", exact=True).fill("A note for the checks")
    page.get_by_role("button", name="Save note").click()
    page.locator(".note").filter(has_text="A note for the checks").wait_for()
    transcript = page.get_by_role("list", name="Transcript")
    for control in (page.get_by_role("button", name="Save note"), page.get_by_role("button", name="Find"),
                    transcript.get_by_role("link", name="Play from 0:02"), page.locator(".note a.note-time"),
                    page.locator(".note summary"), page.get_by_role("button", name="Delete the note at 0:02"),
                    page.get_by_role("link", name="All my notes on this module"),
                    page.get_by_role("link", name="Download my notes (Markdown)")):
        control.scroll_into_view_if_needed()
        assert control.is_visible(), (size, control)
    assert serious_violations(page) == [], size

    page.goto(live_server + NOTES)
    assert page.get_by_role("heading", name="My notes", level=1).is_visible()
    for control in (page.get_by_role("link", name="Download as Markdown"), page.locator(".note a.note-time"),
                    page.locator(".note summary"), page.get_by_role("button", name="Delete the note at 0:02")):
        control.scroll_into_view_if_needed()
        assert control.is_visible(), (size, control)
    page.locator(".note summary").click()
    assert page.get_by_role("button", name="Save changes").is_visible()
    assert serious_violations(page) == [], size
