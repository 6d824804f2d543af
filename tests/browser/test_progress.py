"""Attendance in chromium: a lecture played to its end at a raised rate completes, a reload resumes where the learner
paused, and the learner's attendance page shows it, with nothing serious for axe (desktop and phone)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from coursesite.accounts.models import User
from coursesite.catalog.models import Lecture
from coursesite.extensions import db
from coursesite.learning.models import LectureProgress
from tests.browser.support import log_in, serious_violations
from tests.factories import grant_access, make_user

pytestmark = pytest.mark.browser

LECTURE = "/modules/sample-module/lectures/in-conversation"  # video, 5 s
ATTENDANCE = "/modules/sample-module/progress"
RATE = 4.0


def learner(live_app, email: str) -> str:
    with live_app.app_context():
        grant_access(make_user(email))
        db.session.remove()
    return email


def stored_progress(live_app, email: str) -> tuple[list, float, bool]:
    with live_app.app_context():
        row = db.session.scalar(select(LectureProgress).join(Lecture, LectureProgress.lecture_id == Lecture.id)
                                .join(User, LectureProgress.user_id == User.id)
                                .where(Lecture.slug == "in-conversation", User.email == email))
        found = (row.intervals, row.last_position, row.completed_at is not None)
        db.session.remove()
    return found


def reported_position(response) -> float | None:
    """The position a progress report answered OK carried (None for other responses)."""
    if not (response.url.endswith("/progress") and response.ok and response.request.post_data):
        return None
    return json.loads(response.request.post_data).get("position")


def player_time(page) -> float:
    return page.evaluate("document.getElementById('player').currentTime")


def test_a_lecture_played_to_the_end_completes_and_a_reload_resumes(page, live_app, live_server, monkeypatch):
    monkeypatch.setitem(live_app.config, "PROGRESS_MAX_RATE", RATE)  # this test plays faster than the default 2x
    email = learner(live_app, "plays-through@example.org")
    log_in(page, live_server, email, "/learning")
    page.goto(live_server + LECTURE)
    status = page.locator("#progress-status")
    assert status.inner_text() == ""
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")

    with page.expect_response(lambda response: response.url.endswith("/progress") and response.ok):
        page.evaluate(f"""() => {{
            const player = document.getElementById('player');
            player.muted = true;
            player.playbackRate = {RATE};
            return player.play();
        }}""")
        page.wait_for_function("() => document.getElementById('player').ended", timeout=15000)
    page.wait_for_function("() => document.getElementById('progress-status').textContent.includes('completed')")
    assert status.inner_text() == "You have completed this lecture."
    intervals, _, complete = stored_progress(live_app, email)
    assert complete and intervals[0][0] == pytest.approx(0, abs=0.3)

    # Pause half-way: the pause reports the position, and the next visit (any device) starts there.
    with page.expect_response(lambda response: reported_position(response) == pytest.approx(2.5, abs=0.5)):
        page.evaluate("""async () => {
            const player = document.getElementById('player');
            player.playbackRate = 1;
            player.currentTime = 2.5;
            await player.play();
            player.pause();
        }""")
    _, position, _ = stored_progress(live_app, email)
    assert position == pytest.approx(2.5, abs=0.5)
    page.reload()
    page.wait_for_function("() => document.getElementById('player').currentTime > 1")
    assert player_time(page) == pytest.approx(position, abs=0.1)
    assert page.locator("#progress-status").inner_text() == "You have completed this lecture."

    # ?t= wins over resuming.
    page.goto(live_server + LECTURE + "?t=1")
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")
    assert player_time(page) == pytest.approx(1.0, abs=0.3)


def test_the_attendance_page_shows_the_figures_and_passes_axe(page, live_app, live_server, size):
    email = learner(live_app, f"attendance-{size}@example.org")
    log_in(page, live_server, email, "/learning")
    page.goto(live_server + LECTURE)
    page.get_by_role("link", name="Your attendance in this module").click()
    page.wait_for_url(f"**{ATTENDANCE}")
    assert page.get_by_role("heading", name="Your attendance").is_visible()
    table = page.get_by_role("table", name="Attendance per lecture")
    assert table.get_by_role("rowheader", name="In conversation").count() == 1
    for link in page.locator("main a, main button").all():
        if link.is_visible():
            box = link.bounding_box()
            assert box and box["width"] > 0 and box["height"] > 0
    assert page.get_by_role("link", name="Watch the next lecture: First steps").is_visible()
    assert serious_violations(page) == []
