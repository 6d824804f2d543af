"""The lecture page: player with captions, transcript from the cues, notes; locked without access."""
from __future__ import annotations

from sqlalchemy import select

from coursesite.catalog.models import Lecture
from coursesite.extensions import db
from tests.factories import grant_access, make_user
from tests.support import login_as


def test_preview_lecture_plays_for_everyone(client, sample_module):
    response = client.get("/modules/sample-module/lectures/first-steps")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    lecture = db.session.scalar(select(Lecture).where(Lecture.slug == "first-steps"))
    assert f'src="/media/{lecture.media_path}"' in page
    assert f'<track kind="captions" src="/media/{lecture.captions_path}" srclang="en"' in page
    assert "Welcome to the first steps." in page and 'data-start="2.0"' in page
    assert "Notes with <em>emphasis</em>." in page
    assert "Next: In conversation" in page


def test_captions_are_served_as_webvtt(client, sample_module):
    lecture = db.session.scalar(select(Lecture).where(Lecture.slug == "first-steps"))
    response = client.get(f"/media/{lecture.captions_path}")
    assert response.status_code == 200
    assert response.mimetype == "text/vtt"
    assert response.get_data(as_text=True).startswith("WEBVTT")


def test_locked_lecture_explains_how_to_get_access(client, sample_module):
    response = client.get("/modules/sample-module/lectures/in-conversation")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "See prices and buy access" in page
    assert "I think the transcript comes from the cues." not in page
    assert "/media/lectures/" not in page


def test_learner_with_access_sees_the_transcript_with_speakers(app, sample_module):
    user = make_user()
    grant_access(user)
    response = login_as(app, user).get("/modules/sample-module/lectures/in-conversation")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert ('<strong class="cue-speaker">Bo Fixture:</strong> <span class="cue-text">I think the transcript comes from '
            'the cues.</span>') in page
    assert "<video" in page


def test_unknown_lecture_or_module_is_404(client, sample_module):
    assert client.get("/modules/sample-module/lectures/nope").status_code == 404
    assert client.get("/modules/nope/lectures/first-steps").status_code == 404


def test_lecture_page_query_count_does_not_grow_with_lectures(client, sample_module, count_queries):
    with count_queries() as counter:
        client.get("/modules/sample-module/lectures/first-steps")
    assert counter.count <= 5  # 4, and the lecture's references (coursesite/learning/reading.py)
