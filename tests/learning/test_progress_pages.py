"""The learner's attendance page, and resuming a lecture where it was left (on any device)."""
from __future__ import annotations

from datetime import UTC, datetime

from coursesite.learning.progress import RESUME_TAIL_SECONDS
from tests.factories import grant_access, make_user, watch
from tests.learning.progress_fixtures import *  # noqa: F403 - the fixtures
from tests.learning.progress_fixtures import LECTURE, MODULE, PAGE, PREVIEW, add_lecture, lecture
from tests.support import login_as

ATTENDANCE = f"/modules/{MODULE}/progress"
PLAYED = datetime(2026, 11, 3, 14, 30, tzinfo=UTC)


# Attendance page ----------------------------------------------------------------------------------------------------

def test_the_attendance_page_shows_each_lecture_and_the_module(app, learner):
    watch(learner, lecture(PREVIEW), at=PLAYED)
    watch(learner, lecture(LECTURE), 0.25, at=PLAYED)
    page = login_as(app, learner).get(ATTENDANCE)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "1 of 2 lectures complete" in text
    assert "62.5% of the module watched" in text
    assert '<time datetime="2026-11-03T14:30:00+00:00">3 Nov 2026, 14:30 UTC</time>' in text
    assert "100.0%" in text and "25.0%" in text and "Not yet" in text
    assert "Watch the next lecture: The Talk" in text
    assert page.headers["Cache-Control"] == "no-store"


def test_the_attendance_page_of_a_learner_who_has_played_nothing(app, learner):
    text = login_as(app, learner).get(ATTENDANCE).get_data(as_text=True)
    assert "0 of 2 lectures complete" in text and "0.0% of the module watched" in text
    assert text.count("—") >= 4  # no first or last played dates


def test_the_attendance_page_shows_only_my_own_figures(app, learner):
    someone = make_user("someone@example.org")
    grant_access(someone, lecture().module_id)
    watch(someone, lecture(PREVIEW))
    text = login_as(app, learner).get(ATTENDANCE).get_data(as_text=True)
    assert "0 of 2 lectures complete" in text


def test_the_attendance_page_needs_access(app, course):
    stranger = make_user("stranger@example.org")
    assert login_as(app, stranger).get(ATTENDANCE).status_code == 404


def test_a_learner_whose_access_ended_still_reads_their_attendance(app, course):
    former = make_user("former@example.org")
    grant_access(former, course, days=30, now=datetime(2025, 1, 1, tzinfo=UTC))
    watch(former, lecture(LECTURE), at=datetime(2025, 1, 10, tzinfo=UTC))
    client = login_as(app, former)
    assert client.get(PAGE.format(LECTURE)).status_code == 403  # the lecture itself is closed to them now
    page = client.get(ATTENDANCE)
    assert page.status_code == 200 and "1 of 2 lectures complete" in page.get_data(as_text=True)


def test_a_visitor_is_sent_to_log_in(client, course):
    response = client.get(ATTENDANCE)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_attendance_page_of_an_unknown_module_is_404(app, learner):
    assert login_as(app, learner).get("/modules/nope/progress").status_code == 404


def test_the_attendance_page_query_count_does_not_grow_with_lectures(app, learner, count_queries):
    client = login_as(app, learner)
    client.get(ATTENDANCE)
    with count_queries() as counter:
        client.get(ATTENDANCE)
    few = counter.count
    module = lecture().module
    for position in range(3, 9):
        add_lecture(module, f"extra-{position}", position)
    client.get(ATTENDANCE)  # cached parts of the layout follow the new content
    with count_queries() as counter:
        client.get(ATTENDANCE)
    assert counter.count == few <= 7


# Resume -------------------------------------------------------------------------------------------------------------

def test_the_lecture_page_resumes_at_the_last_position_on_another_device(app, player, learner, clock):
    assert player.report([(0, 30)], position=123.5).status_code == 200
    other_device = login_as(app, learner)  # a login session of its own
    text = other_device.get(PAGE.format(LECTURE)).get_data(as_text=True)
    assert 'data-resume-at="123.5"' in text


def test_a_time_in_the_url_wins_over_resuming(app, player, learner):
    player.report([(0, 30)], position=123.5)
    text = player.client.get(PAGE.format(LECTURE) + "?t=40").get_data(as_text=True)
    assert "data-resume-at" not in text


def test_a_lecture_left_at_its_end_starts_again(app, player, learner):
    player.report([], position=600 - RESUME_TAIL_SECONDS / 2)
    assert "data-resume-at" not in player.client.get(PAGE.format(LECTURE)).get_data(as_text=True)


def test_a_lecture_never_played_starts_at_the_beginning_and_loads_the_reporter(app, learner):
    text = login_as(app, learner).get(PAGE.format(LECTURE)).get_data(as_text=True)
    assert "data-resume-at" not in text
    assert 'id="lecture-progress"' in text and "js/progress" in text
    assert f'data-report-url="/modules/{MODULE}/lectures/{LECTURE}/progress"' in text


def test_a_completed_lecture_says_so_on_its_page(app, learner):
    watch(learner, lecture(LECTURE))
    assert "You have completed this lecture." in login_as(app, learner).get(PAGE.format(LECTURE)).get_data(
        as_text=True)


def test_a_visitor_on_a_preview_gets_no_progress_reporter(client, course):
    text = client.get(PAGE.format(PREVIEW)).get_data(as_text=True)
    assert 'id="lecture-progress"' not in text and "js/progress" not in text


def test_the_signed_in_lecture_page_reads_progress_in_one_query_whatever_the_lectures(app, learner, count_queries):
    client = login_as(app, learner)
    client.get(PAGE.format(LECTURE))
    with count_queries() as counter:
        client.get(PAGE.format(LECTURE))
    few = counter.count
    assert sum("lecture_progress" in statement for statement in counter.statements) == 1
    module = lecture().module
    for position in range(3, 9):
        add_lecture(module, f"more-{position}", position)
    client.get(PAGE.format(LECTURE))  # the page's cached parts follow the new content
    with count_queries() as counter:
        client.get(PAGE.format(LECTURE))
    assert counter.count == few
