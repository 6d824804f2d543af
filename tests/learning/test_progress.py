"""Attendance: the progress endpoint, its rules (union, real time, time on task, completion) and its bad input."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, update

from coursesite.extensions import db
from coursesite.learning import progress
from coursesite.learning.models import LectureProgress
from coursesite.models_base import as_utc
from tests.factories import make_user
from tests.learning.progress_fixtures import *  # noqa: F403 - the fixtures
from tests.learning.progress_fixtures import LECTURE, PAGE, PREVIEW, TOKEN, URL, Player, lecture, play, stored
from tests.support import csrf_token, login_as

# Recording ----------------------------------------------------------------------------------------------------------

def test_a_report_records_the_played_spans_positions_and_time(player, learner, clock):
    clock.advance(5)
    response = player.report([(0, 20)], position=20)
    assert response.status_code == 200
    assert response.json["counted_seconds"] == 20 and response.json["complete"] is False
    row = stored(learner)
    assert row.intervals == [[0, 20]] and row.covered_seconds == 20
    assert row.last_position == 20 and row.furthest_position == 20
    assert as_utc(row.first_played_at) == as_utc(row.last_played_at) == clock.now
    assert row.seconds_on_task == 20  # first report of a session: the spans' playing time


def test_one_row_per_learner_and_lecture_however_many_reports(player, learner, clock):
    play(player, clock, 0, 120)
    count = db.session.scalar(select(func.count()).select_from(LectureProgress))
    assert count == 1
    assert stored(learner).intervals == [[0, 120]]


def test_a_lecture_completes_at_ninety_percent_and_keeps_its_date(player, learner, clock):
    play(player, clock, 0, 530)
    assert stored(learner).completed_at is None
    play(player, clock, 530, 540)  # 540 of 600 s: 90%
    row = stored(learner)
    completed = as_utc(row.completed_at)
    assert completed == clock.now and row.covered_seconds == 540
    play(player, clock, 540, 600)
    assert as_utc(stored(learner).completed_at) == completed


def test_seeking_to_the_end_does_not_complete(player, learner, clock):
    play(player, clock, 0, 10)
    clock.advance(10)
    response = player.report([(590, 600)], position=600)
    assert response.json["complete"] is False
    row = stored(learner)
    assert row.covered_seconds == 20 and row.intervals == [[0, 10], [590, 600]]


def test_replaying_one_minute_fifty_times_covers_one_minute(player, learner, clock):
    for _ in range(50):
        play(player, clock, 60, 120, step=30)
    row = stored(learner)
    assert row.intervals == [[60, 120]] and row.covered_seconds == 60 and row.completed_at is None


def test_overlapping_spans_in_one_report_count_once(player, learner, clock):
    clock.advance(30)
    assert player.report([(0, 20), (10, 30), (30, 40)], position=40).json["counted_seconds"] == 40
    assert stored(learner).intervals == [[0, 40]]


# Real time ----------------------------------------------------------------------------------------------------------

def test_the_first_report_of_a_session_counts_at_most_rate_times_window(player, learner, clock, app):
    allowance = app.config["PROGRESS_MAX_RATE"] * app.config["PROGRESS_REPORT_WINDOW"]  # 2 x 30 s
    response = player.report([(0, 600)], position=600)
    assert response.json["counted_seconds"] == allowance and response.json["capped"] is True
    assert stored(learner).intervals == [[0, allowance]]


def test_a_report_never_counts_more_than_real_time_allows(player, learner, clock):
    player.report([(0, 10)], position=10)
    clock.advance(10)  # 10 s of wall clock at 2x: 20 s of media at most
    response = player.report([(10, 600)], position=600)
    assert response.json["counted_seconds"] == 20
    assert stored(learner).intervals == [[0, 30]]
    clock.advance(0)  # the same instant: nothing more
    assert player.report([(30, 600)], position=600).json["counted_seconds"] == 0


def test_after_a_pause_longer_than_the_window_a_report_counts_the_window_only(player, learner, clock):
    player.report([(0, 10)], position=10)
    clock.advance(3600)  # an hour later: a new session
    assert player.report([(10, 600)], position=600).json["counted_seconds"] == 60


def test_a_raised_max_rate_counts_faster_playback(player, learner, clock, app):
    app.config["PROGRESS_MAX_RATE"] = 16.0
    player.report([(0, 10)], position=10, rate=16)
    clock.advance(10)
    assert player.report([(10, 170)], position=170, rate=16).json["counted_seconds"] == 160


def test_reports_from_the_future_of_the_previous_one_count_nothing_extra(player, learner, clock):
    """A report whose clock reads earlier than the previous one's (clock change) counts no media."""
    player.report([(0, 10)], position=10)
    clock.advance(-100)
    assert player.report([(10, 20)], position=20).json["counted_seconds"] == 0


# Time on task -------------------------------------------------------------------------------------------------------

def test_time_on_task_counts_wall_clock_between_visible_reports(player, learner, clock):
    player.report([(0, 10)], position=10)  # first of the session: 10 s of playing
    clock.advance(10)
    player.report([(10, 20)], position=20)  # +10
    clock.advance(10)
    player.report([(20, 30)], position=30, visible=False)  # hidden: nothing
    clock.advance(10)
    player.report([(30, 40)], position=40)  # +10
    assert stored(learner).seconds_on_task == 30


def test_time_on_task_is_capped_per_report(player, learner, clock):
    player.report([(0, 10)], position=10)
    clock.advance(25 * 60)  # the tab left open, paused, for 25 minutes: a new session
    player.report([(10, 20)], position=20, rate=2)  # 10 s of media at 2x: 5 s
    assert stored(learner).seconds_on_task == 15


# Bad input ----------------------------------------------------------------------------------------------------------

BAD_REPORTS = {
    "nan position": '{"intervals": [], "position": NaN}',
    "infinite interval": '{"intervals": [[0, Infinity]]}',
    "reversed interval": '{"intervals": [[50, 10]]}',
    "interval not a pair": '{"intervals": [[1, 2, 3]]}',
    "interval of strings": '{"intervals": [["0", "10"]]}',
    "boolean time": '{"intervals": [[true, 10]]}',
    "intervals not a list": '{"intervals": {"0": 10}}',
    "too many intervals": json.dumps({"intervals": [[n, n + 0.5] for n in range(progress.MAX_INTERVALS + 1)]}),
    "rate zero": '{"intervals": [], "rate": 0}',
    "rate absurd": '{"intervals": [], "rate": 1000}',
    "visible not boolean": '{"intervals": [], "visible": "yes"}',
    "not an object": "[1, 2]",
    "not json": "{intervals: ",
    "deeply nested": "[" * 100000 + "]" * 100000,
}


@pytest.mark.parametrize("body", BAD_REPORTS.values(), ids=BAD_REPORTS.keys())
def test_bad_reports_are_refused_with_a_message_and_change_nothing(player, learner, clock, body):
    play(player, clock, 0, 30)
    before = stored(learner)
    snapshot = (before.intervals, before.last_position, before.seconds_on_task, before.last_report_at)
    clock.advance(10)
    response = player.send(body)
    assert response.status_code == 400
    assert response.is_json and response.json["error"]
    after = stored(learner)
    assert (after.intervals, after.last_position, after.seconds_on_task, after.last_report_at) == snapshot


def test_a_body_too_large_is_refused(player, learner, clock):
    padding = " " * (progress.MAX_BODY_BYTES + 1)
    response = player.send('{"intervals": []}' + padding)
    assert response.status_code == 400 and "larger" in response.json["error"]
    assert stored(learner) is None


def test_negative_and_past_the_end_times_are_clamped(player, learner, clock):
    clock.advance(30)
    assert player.report([(-50, 10)], position=-3).status_code == 200
    clock.advance(10)
    assert player.report([(590, 900)], position=5000).status_code == 200
    row = stored(learner)
    assert row.intervals == [[0, 10], [590, 600]]
    assert row.last_position == 600 and row.furthest_position == 600


def test_spans_wholly_outside_the_lecture_count_nothing(player, learner, clock):
    clock.advance(30)
    response = player.report([(700, 720), (-30, -10)], position=10)
    assert response.json["counted_seconds"] == 0
    assert stored(learner).intervals == []


# Access and CSRF ----------------------------------------------------------------------------------------------------

def test_a_lecture_without_access_is_404_and_stores_nothing(app, course, clock):
    stranger = make_user("stranger@example.org")
    client = login_as(app, stranger)
    token = TOKEN.search(client.get(PAGE.format(PREVIEW)).get_data(as_text=True)).group(1)
    response = client.post(URL.format(LECTURE), json={"intervals": [[0, 10]]}, headers={"X-CSRFToken": token})
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(LectureProgress)) == 0


def test_a_visitor_is_404_even_on_a_preview(client, course):
    token = csrf_token(client, "/auth/login")  # a valid token: the refusal is the gate's, not CSRF's
    response = client.post(URL.format(PREVIEW), json={"intervals": [[0, 10]]}, headers={"X-CSRFToken": token})
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(LectureProgress)) == 0


def test_unknown_lecture_is_404(player):
    response = player.client.post(URL.format("nope"), json={"intervals": []}, headers={"X-CSRFToken": player.token})
    assert response.status_code == 404


def test_a_preview_records_progress_for_a_logged_in_learner_without_access(app, course, clock):
    newcomer = make_user("newcomer@example.org")
    preview = Player(app, newcomer, PREVIEW)
    assert preview.report([(0, 30)], position=30).status_code == 200
    assert stored(newcomer, PREVIEW).covered_seconds == 30


def test_a_report_without_the_csrf_token_is_refused(player, learner):
    response = player.client.post(URL.format(LECTURE), json={"intervals": [[0, 10]]})
    assert response.status_code == 400
    assert stored(learner) is None


def test_a_beacon_carries_its_csrf_token_in_the_form(player, learner, clock):
    clock.advance(10)
    assert player.beacon({"intervals": [[0, 10]], "position": 10, "visible": False}).status_code == 400
    assert stored(learner) is None
    assert player.beacon({"intervals": [[0, 10]], "position": 10, "visible": False},
                         token=player.token).status_code == 200
    assert stored(learner).intervals == [[0, 10]]


def test_a_form_without_a_report_is_refused(player, learner):
    response = player.client.post(URL.format(LECTURE), data={"csrf_token": player.token})
    assert response.status_code == 400 and "missing" in response.json["error"]


# Queries ------------------------------------------------------------------------------------------------------------

def test_a_report_runs_a_bounded_number_of_queries(player, clock, count_queries):
    player.report([(0, 10)], position=10)
    clock.advance(10)
    with count_queries() as counter:
        assert player.report([(10, 20)], position=20).status_code == 200
    # login session and user, lecture, access, row, the learner's latest report on any lecture, update
    assert counter.count <= 8


def test_a_report_that_loses_a_race_reads_again_and_loses_nothing(player, learner, clock, monkeypatch):
    """Another report (a beacon) commits between this one's read and write: this one is applied on top of it."""
    player.report([(0, 10)], position=10)
    table = LectureProgress.__table__
    applied = progress._apply
    calls = []

    def racing(row, *args):
        calls.append(row.version)
        if len(calls) == 1:
            with db.engine.begin() as other:
                other.execute(update(table).where(table.c.id == row.id).values(
                    intervals=[[0, 10], [100, 110]], covered_seconds=20, version=table.c.version + 1))
        return applied(row, *args)

    monkeypatch.setattr(progress, "_apply", racing)
    clock.advance(10)
    talk = lecture(LECTURE)
    outcome = progress.record_report(learner.id, talk, progress.Report([(10, 20)], 20, 1.0, True))
    assert len(calls) == 2 and calls[1] == calls[0] + 1  # read again after losing
    assert outcome.counted_seconds == 10
    row = stored(learner)
    assert row.intervals == [[0, 20], [100, 110]] and row.covered_seconds == 30


def test_a_report_that_keeps_losing_races_is_answered_409_and_changes_nothing(player, learner, clock, monkeypatch):
    player.report([(0, 10)], position=10)
    table = LectureProgress.__table__
    applied = progress._apply

    def always_beaten(row, *args):
        with db.engine.begin() as other:
            other.execute(update(table).where(table.c.id == row.id).values(version=table.c.version + 1))
        return applied(row, *args)

    monkeypatch.setattr(progress, "_apply", always_beaten)
    clock.advance(10)
    response = player.report([(10, 20)], position=20)
    assert response.status_code == 409 and response.json["error"]
    assert stored(learner).intervals == [[0, 10]]


def test_scattered_specks_are_not_kept(player, learner, clock):
    clock.advance(30)
    response = player.report([(n * 5.0, n * 5.0 + 0.2) for n in range(100)], position=10)
    assert response.status_code == 200 and response.json["counted_seconds"] == 0
    assert stored(learner).intervals == []
