"""Bugs found in review of issue 14 (learning workspace), each pinned by a test: a paid lecture page shown again after
access ended, note ids too large for the database, two rules of where a learner resumes, lectures played side by side
each counting at full speed, and oversized notes checked character by character."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from coursesite.catalog.models import Lecture, Module
from coursesite.extensions import db
from coursesite.learning import notes as notes_service
from coursesite.learning.models import Note
from coursesite.learning.module_home import resume_point
from coursesite.learning.progress import completion, left_at_end, player_progress
from coursesite.models_base import utcnow
from tests.factories import grant_access, make_user, watch
from tests.learning.progress_fixtures import *  # noqa: F403 - the fixtures (clock, course, learner)
from tests.learning.progress_fixtures import LECTURE, PREVIEW, Player, play, stored
from tests.support import login_as, post_form

LOCKED = "/modules/sample-module/lectures/in-conversation"  # needs access, 5 s
MODULE_NOTES = "/modules/sample-module/notes"


def lecture(slug: str) -> Lecture:
    return db.session.scalar(select(Lecture).where(Lecture.slug == slug))


@pytest.fixture
def lapsed(app, sample_module):
    """A learner whose access ended ten days ago, with a note written while it lasted."""
    user = make_user("lapsed@example.org")
    grant_access(user, days=10, now=utcnow() - timedelta(days=20))
    note = notes_service.add_note(user.id, lecture("in-conversation"), "1", "kept from when I had access")
    return user, note


def test_a_bad_note_edit_after_access_ended_shows_the_notes_page_not_the_lecture(app, lapsed):
    user, note = lapsed
    client = login_as(app, user)
    assert client.get(LOCKED).status_code == 403  # the lecture itself is locked for them
    response = post_form(client, f"/notes/{note.id}/edit", {"time": "1", "text": " "}, page=MODULE_NOTES)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Write something in the note." in page and '<h1 id="notes-title">My notes</h1>' in page
    assert 'class="cue"' not in page and 'id="player"' not in page  # no transcript, no player


def test_a_note_edit_after_access_ended_leads_back_to_the_notes_page(app, lapsed):
    user, note = lapsed
    client = login_as(app, user)
    response = post_form(client, f"/notes/{note.id}/edit", {"time": "2", "text": "still mine"}, page=MODULE_NOTES)
    assert response.status_code == 302 and response.location.endswith(f"{MODULE_NOTES}#note-{note.id}")
    db.session.expire_all()
    assert db.session.get(Note, note.id).text == "still mine"


@pytest.mark.parametrize("action", ["edit", "delete"])
def test_a_note_id_too_large_for_the_database_is_404_not_500(app, sample_module, action):
    user = make_user("big-id@example.org")
    grant_access(user)
    client = login_as(app, user)
    response = post_form(client, f"/notes/{2**70}/{action}", {"time": "1", "text": "x"}, page=LOCKED)
    assert response.status_code == 404


def test_the_lecture_page_and_continue_resume_a_short_lecture_at_the_same_place(app, sample_module):
    """One rule for "left at its end": a 5 s lecture left at 3 s resumes there on its page AND from "Continue"
    (the module home once used a flat 5 s tail, so it skipped every lecture shorter than 5 s)."""
    user = make_user("resume@example.org")
    grant_access(user)
    talk = lecture("in-conversation")
    watch(user, talk, 0.6)  # played and left at 3 s of 5
    module = db.session.get(Module, talk.module_id)
    assert player_progress(user.id, talk).resume_at == 3.0
    point = resume_point(completion(user.id, module))
    assert point is not None and (point.lecture_slug, point.seconds) == ("in-conversation", 3)


@pytest.mark.parametrize(("position", "duration", "at_end"), [
    (594.9, 600, False), (595, 600, True), (56.9, 60, False), (57, 60, True), (0, 0, True)])
def test_left_at_end_is_the_last_five_seconds_or_five_percent_of_a_short_lecture(position, duration, at_end):
    assert left_at_end(position, duration) is at_end


# Real time is the learner's, not each lecture's ---------------------------------------------------------------------

def test_lectures_played_side_by_side_share_one_real_time_allowance(app, learner, clock):
    """Two tabs, two lectures, each reporting 20 s played every 10 s: together they count no more than 2x the
    wall-clock time (before, each lecture had its own allowance, so N tabs completed N lectures at once)."""
    talk, taste = Player(app, learner, LECTURE), Player(app, learner, PREVIEW)
    counted = 0.0
    for step in range(6):  # a minute of wall clock, a report from each tab every ten seconds
        clock.advance(5)
        counted += talk.report([(20 * step, 20 * step + 20)], position=20 * step + 20).json["counted_seconds"]
        clock.advance(5)
        counted += taste.report([(20 * step, 20 * step + 20)], position=20 * step + 20).json["counted_seconds"]
    rate = app.config["PROGRESS_MAX_RATE"]
    # the first report of the session may count a window's worth; after that, rate x wall clock in all
    assert counted <= rate * (60 + app.config["PROGRESS_REPORT_WINDOW"])
    assert stored(learner, LECTURE).covered_seconds + stored(learner, PREVIEW).covered_seconds == counted
    assert counted < 2 * 6 * 20  # what two separate allowances let through


def test_one_lecture_after_another_still_counts_in_full(app, learner, clock):
    """Moving on to the next lecture at normal speed loses nothing: the allowance is shared, not shrunk."""
    play(Player(app, learner, PREVIEW), clock, 0, 60)
    play(Player(app, learner, LECTURE), clock, 0, 60)
    assert stored(learner, PREVIEW).covered_seconds == 60 and stored(learner, LECTURE).covered_seconds == 60


def test_a_paused_tab_that_reports_nothing_takes_nothing_from_the_playing_one(app, learner, clock):
    """Showing or hiding a paused lecture's tab sends a report without spans: the tab playing at 2x keeps its whole
    allowance (the time since its own previous report)."""
    talk, taste = Player(app, learner, LECTURE), Player(app, learner, PREVIEW)
    clock.advance(10)
    assert talk.report([(0, 20)], position=20, rate=2.0).json["counted_seconds"] == 20
    clock.advance(5)
    assert taste.report([], position=0, visible=False).status_code == 200
    clock.advance(5)
    assert talk.report([(20, 40)], position=40, rate=2.0).json["counted_seconds"] == 20


def test_an_oversized_note_is_refused_before_any_per_character_work(monkeypatch):
    """A form may carry megabytes: the length is checked first, so the NFC and character checks never run on it."""
    def no_work(*_args):
        raise AssertionError("normalised an oversized note")

    # only the notes module's view of unicodedata: pytest itself uses the real one meanwhile
    monkeypatch.setattr(notes_service, "unicodedata", SimpleNamespace(normalize=no_work, category=no_work))
    with pytest.raises(notes_service.NoteError, match="at most 5,000 characters"):
        notes_service.note_text("x" * (notes_service.RAW_NOTE_LIMIT + 1))
