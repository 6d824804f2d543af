"""The lecture page: player with captions, transcript from the cues, notes; locked without access."""
from __future__ import annotations

from sqlalchemy import select

from coursesite.catalog.models import Lecture
from coursesite.extensions import db
from coursesite.learning.notes import add_note
from tests.factories import grant_access, make_module, make_user, module_id
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


def grow_the_catalogue(learner) -> None:
    """More modules and lectures (one in the learner's module), and more of the learner's notes."""
    for number in range(3):
        module = make_module(f"extra-{number}", f"Extra {number}")
        db.session.add_all(Lecture(module_id=module.id, position=position, slug=f"l{position}", title="L",
                                   kind="video_lecture", duration_seconds=60, media_path="lectures/x.mp4",
                                   media_type="video/mp4", captions_path="lectures/x.vtt", cues=[])
                           for position in range(4))
    db.session.add(Lecture(module_id=module_id(), position=9, slug="third", title="Third", kind="interview",
                           duration_seconds=60, media_path="lectures/y.mp4", media_type="video/mp4",
                           captions_path="lectures/y.vtt", cues=[{"start": 0.0, "end": 1.0, "text": "Hi"}]))
    db.session.commit()
    conversation = db.session.scalar(select(Lecture).where(Lecture.slug == "in-conversation"))
    for number in range(5):
        add_note(learner.id, conversation, str(number), f"note {number}")


def test_lecture_page_statements_are_pinned_and_do_not_grow_with_the_catalogue(app, client, sample_module,
                                                                               count_queries):
    """Signed in: the login session and user, the lecture with its module, the access check, the content revision
    (the page's content is cached per revision), the learner's notes and attendance. A visitor on a free preview:
    the lecture with its module and the revision. Statements stay the same as the catalogue and the notes grow."""
    learner = make_user()
    grant_access(learner)
    signed_in = login_as(app, learner)
    pages = ((signed_in, "/modules/sample-module/lectures/in-conversation", 6),
             (client, "/modules/sample-module/lectures/first-steps", 2))
    for viewer, path, _ in pages:
        viewer.get(path)  # renders and caches the content
    counts = []
    for viewer, path, _ in pages:
        with count_queries() as counter:
            assert viewer.get(path).status_code == 200
        counts.append(counter.count)
    assert counts == [expected for _, _, expected in pages]
    grow_the_catalogue(learner)
    for viewer, path, _ in pages:
        viewer.get(path)  # the content changed: rendered again, once
    for (viewer, path, expected) in pages:
        with count_queries() as counter:
            viewer.get(path)
        assert counter.count == expected, path


def test_a_content_change_is_shown_at_once(app, client, sample_module):
    path = "/modules/sample-module/lectures/first-steps"
    assert "This is the second cue." in client.get(path).get_data(as_text=True)
    lecture = db.session.scalar(select(Lecture).where(Lecture.slug == "first-steps"))
    lecture.cues = [{"start": 0.0, "end": 1.0, "speaker": None, "text": "A corrected line."}]
    lecture.summary = "A corrected summary."
    db.session.commit()
    page = client.get(path).get_data(as_text=True)
    assert "A corrected line." in page and "A corrected summary." in page and "This is the second cue." not in page
