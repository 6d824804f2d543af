"""The lecture page's transcript without JavaScript: each cue's time is a ``?t=`` link, ``?t=`` starts the media
there (a media fragment) and marks the cue being spoken, ``?find=`` filters the lines; bad values never fail."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from coursesite.catalog.models import Lecture
from coursesite.extensions import db
from coursesite.learning.transcript import parse_position, parse_seconds, transcript_for
from tests.factories import grant_access, make_user
from tests.support import login_as

FIRST = "/modules/sample-module/lectures/first-steps"        # preview: cues at 0.0 and 2.0, 4 s long
LOCKED = "/modules/sample-module/lectures/in-conversation"   # cues at 0.0 (Ada) and 2.2 (Bo), 5 s long


def lecture(slug: str) -> Lecture:
    return db.session.scalar(select(Lecture).where(Lecture.slug == slug))


def cue_items(page: str) -> list[str]:
    return re.findall(r'<li id="cue-\d+".*?</li>', page)


# Reading positions --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "seconds"), [
    ("75", 75.0), ("75.5", 75.5), (" 1:15 ", 75.0), ("1:01:15", 3675.0), ("0:00:02.5", 2.5), ("0", 0.0),
])
def test_positions_are_read_as_seconds_or_a_clock(text, seconds):
    assert parse_seconds(text) == seconds


@pytest.mark.parametrize("text", [
    "", "   ", "-3", "nan", "inf", "-inf", "1e999", "0x10", "1:60", "1:75:00", "12:34:56:78", "soon", "1,5", "½",
    "7" * 21, "\x00", None,
])
def test_anything_else_is_no_position(text):
    assert parse_seconds(text) is None


def test_a_start_position_is_clamped_to_the_recording():
    assert parse_position("9999", 300.0) == 300.0
    assert parse_position("12.34", 300.0) == 12.3
    assert parse_position("nope", 300.0) is None


def test_the_filter_needs_every_word_in_any_order_ignoring_case():
    cues = [{"start": 0.0, "text": "Rupture and repair"}, {"start": 3.0, "speaker": "Ada", "text": "Repair work"},
            {"start": 6.0, "text": "Something else"}]
    assert [cue.index for cue in transcript_for(cues, find="REPAIR").cues] == [0, 1]
    assert [cue.index for cue in transcript_for(cues, find="repair rupture").cues] == [0]
    assert [cue.index for cue in transcript_for(cues, find="ada work").cues] == [1]
    assert transcript_for(cues, find="  ").filtered is False
    assert [cue.current for cue in transcript_for(cues, at=4.0).cues] == [False, True, False]


# The page -----------------------------------------------------------------------------------------------------------

def test_each_cue_is_a_link_to_its_second(client, sample_module):
    page = client.get(FIRST).get_data(as_text=True)
    items = cue_items(page)
    assert len(items) == 2
    assert '<a class="cue-time" href="?t=0"><span class="visually-hidden">Play from </span>0:00</a>' in items[0]
    assert 'href="?t=2"' in items[1] and '<span class="cue-text">This is the second cue.</span>' in items[1]
    assert "<button" not in "".join(items)
    assert 'aria-live="polite"' in page  # where the script announces the line it plays from


def test_t_starts_the_media_there_and_marks_the_cue_being_spoken(client, sample_module):
    media = lecture("first-steps").media_path
    page = client.get(f"{FIRST}?t=2.5").get_data(as_text=True)
    assert f'src="/media/{media}#t=2.5"' in page and 'data-start-at="2.5"' in page
    first, second = cue_items(page)
    assert "cue-current" not in first and "aria-current" not in first
    assert 'class="cue cue-current"' in second and 'aria-current="true"' in second


def test_t_as_a_clock_works_too(client, sample_module):
    media = lecture("first-steps").media_path
    assert f'src="/media/{media}#t=3.0"' in client.get(f"{FIRST}?t=0:03").get_data(as_text=True)


@pytest.mark.parametrize("value", ["-5", "nan", "abc", "", "1:99", "%20", "9" * 500])
def test_a_bad_t_opens_the_lecture_from_the_start(client, sample_module, value):
    media = lecture("first-steps").media_path
    response = client.get(f"{FIRST}?t={value}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'src="/media/{media}"' in page and "cue-current" not in page


def test_t_past_the_end_starts_at_the_end(client, sample_module):
    media = lecture("first-steps").media_path
    assert f'src="/media/{media}#t=4.0"' in client.get(f"{FIRST}?t=3600").get_data(as_text=True)


def test_find_shows_the_matching_lines_and_how_to_see_them_all(client, sample_module):
    page = client.get(f"{FIRST}?find=SECOND+cue").get_data(as_text=True)
    items = cue_items(page)
    assert len(items) == 1 and 'id="cue-1"' in items[0]
    assert "1 of 2 lines contain “SECOND cue”." in page
    assert f'<a href="{FIRST}" class="transcript-show-all">Show every line</a>' in page
    assert 'value="SECOND cue"' in page


def test_find_with_no_match_or_hostile_text_is_a_page(client, sample_module):
    for find in ('<script>alert(1)</script>', '" onfocus="x', "(((", "x" * 10_000, "AND OR NOT *"):
        response = client.get(FIRST, query_string={"find": find})
        assert response.status_code == 200, find
        page = response.get_data(as_text=True)
        assert cue_items(page) == [] and "0 of 2 lines contain" in page
        assert "<script>alert(1)" not in page and '" onfocus="x' not in page


def test_the_speaker_is_found_too(app, sample_module):
    user = make_user()
    grant_access(user)
    page = login_as(app, user).get(f"{LOCKED}?find=bo+fixture").get_data(as_text=True)
    items = cue_items(page)
    assert len(items) == 1 and "I think the transcript comes from the cues." in items[0]


def test_cue_text_is_escaped(client, sample_module):
    first = lecture("first-steps")
    first.cues = [{"start": 0.0, "end": 1.0, "speaker": "<i>Eve</i>", "text": "<img src=x onerror=alert(1)>"}]
    db.session.commit()
    page = client.get(FIRST).get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<i>Eve</i>" not in page
