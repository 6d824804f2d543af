"""Media delivery (coursesite/learning/media.py): which stored files are served, to whom, and how they are cached."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import select

from coursesite import create_app
from coursesite.catalog.models import Lecture, Module, Speaker
from coursesite.extensions import db
from tests.factories import grant_access, make_user
from tests.support import login_as

PUBLIC = {"public": True, "max-age": "86400"}
PRIVATE = {"no-store": True}  # paid content: no cache keeps it (coursesite.permissions)


def cache_control(response) -> dict:
    """The Cache-Control directives as a dict (``private`` -> True, ``max-age=60`` -> "60")."""
    directives = {}
    for part in response.headers.get("Cache-Control", "").split(","):
        name, _, value = part.strip().partition("=")
        if name:
            directives[name] = value or True
    return directives


def lecture(slug: str) -> Lecture:
    return db.session.scalar(select(Lecture).where(Lecture.slug == slug))


def photo_url() -> str:
    speaker = db.session.scalar(select(Speaker).where(Speaker.slug == "ada-testwright"))
    return f"/media/{speaker.photo_path}"


def module_sharing_the_locked_file() -> Module:
    """A second published module whose gated lecture stores the same bytes as the sample's locked lecture."""
    locked = lecture("in-conversation")
    other = Module(slug="other-module", title="Other module", ce_hours=1.0, published=True)
    other.lectures.append(Lecture(
        position=1, slug="same-recording", title="Same recording", kind="conversation", duration_seconds=5.0,
        preview=False, media_path=locked.media_path, media_type=locked.media_type,
        captions_path=locked.captions_path,
    ))
    db.session.add(other)
    db.session.commit()
    return other


@pytest.fixture
def x_accel_app(app, migrated, tmp_path, sample_module):
    """The same database and media, delivered through nginx's X-Accel-Redirect."""
    x_accel = create_app("testing", {
        "SQLALCHEMY_DATABASE_URI": migrated, "MEDIA_ROOT": app.config["MEDIA_ROOT"], "MEDIA_DELIVERY": "x-accel",
        "RATELIMIT_ENABLED": False,
    })
    with x_accel.app_context():
        yield x_accel
        db.session.remove()
        db.engine.dispose()


def test_media_delivery_lives_in_the_learning_package(app):
    from coursesite.learning import services

    assert importlib.util.find_spec("coursesite.media") is None
    assert app.view_functions["media.lecture_file"].__module__ == "coursesite.learning.media"
    assert app.view_functions["media.speaker_photo"].__module__ == "coursesite.learning.media"
    assert callable(services.lectures_for_file)
    assert app.url_map.bind("localhost").match("/media/speakers/a.svg") == ("media.speaker_photo", {"name": "a.svg"})
    assert app.url_map.bind("localhost").match("/media/lectures/a.mp4") == ("media.lecture_file", {"name": "a.mp4"})


def test_stored_speaker_photo_is_public_and_cached_for_a_day(client, sample_module):
    response = client.get(photo_url())
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert cache_control(response) == PUBLIC


def test_only_stored_speaker_photos_are_served(client, app, sample_module):
    # A file under speakers/ that no speaker row names (an old import's leftover, or anything else placed there).
    stray = app.config["MEDIA_ROOT"] + "/speakers/stray.svg"
    with open(stray, "w") as handle:
        handle.write("<svg xmlns='http://www.w3.org/2000/svg'/>")
    assert client.get("/media/speakers/stray.svg").status_code == 404
    assert client.get("/media/speakers/unknown.jpg").status_code == 404
    locked = lecture("in-conversation")  # a lecture file is not a photo either
    assert client.get(f"/media/speakers/{locked.media_path.split('/')[-1]}").status_code == 404


@pytest.mark.parametrize("name", [
    "unknown.jpg", "..", "%2e%2e", "%2E%2E", ".", "a%0d%0aX-Injected:%201", "a%0aX-Injected:%201", "%0d%0a",
    "..%2flectures%2fsecret.mp4", "a%00.svg",
])
def test_x_accel_never_hands_nginx_a_name_that_is_not_a_stored_photo(x_accel_app, name):
    response = x_accel_app.test_client().get(f"/media/speakers/{name}")
    assert response.status_code == 404
    assert "X-Accel-Redirect" not in response.headers
    assert "X-Injected" not in response.headers


def test_x_accel_hands_stored_files_to_nginx_with_their_type_and_caching(x_accel_app, sample_module):
    client = x_accel_app.test_client()
    response = client.get(photo_url())
    assert response.status_code == 200
    assert response.headers["X-Accel-Redirect"] == f"/protected-media{photo_url()[len('/media'):]}"
    assert response.mimetype == "image/svg+xml"
    assert cache_control(response) == PUBLIC

    preview = lecture("first-steps")
    response = client.get(f"/media/{preview.captions_path}")
    assert response.headers["X-Accel-Redirect"] == f"/protected-media/{preview.captions_path}"
    assert response.mimetype == "text/vtt"
    assert cache_control(response) == PUBLIC

    locked = lecture("in-conversation")
    assert client.get(f"/media/{locked.media_path}").status_code == 404
    user = make_user("x-accel@example.org")
    grant_access(user, locked.module)
    response = login_as(x_accel_app, user).get(f"/media/{locked.media_path}")
    assert response.status_code == 200
    assert response.headers["X-Accel-Redirect"] == f"/protected-media/{locked.media_path}"
    assert response.mimetype == "video/mp4"
    assert cache_control(response) == PRIVATE


def test_preview_files_are_public_and_gated_files_never_stored(app, client, sample_module):
    preview, locked = lecture("first-steps"), lecture("in-conversation")
    for path in (preview.media_path, preview.captions_path):
        response = client.get(f"/media/{path}")
        assert response.status_code == 200, path
        assert cache_control(response) == PUBLIC, path

    user = make_user("learner@example.org")
    grant_access(user, locked.module)
    learner = login_as(app, user)
    for path in (locked.media_path, locked.captions_path):
        response = learner.get(f"/media/{path}")
        assert response.status_code == 200, path
        assert cache_control(response) == PRIVATE, path
        assert "public" not in response.headers["Cache-Control"], path


def test_a_file_shared_by_several_lectures_is_served_when_any_of_them_may_be_watched(app, sample_module):
    sample = lecture("in-conversation").module
    other = module_sharing_the_locked_file()
    path = lecture("in-conversation").media_path
    sample_learner, other_learner = make_user("sample@example.org"), make_user("other@example.org")
    grant_access(sample_learner, sample)
    grant_access(other_learner, other)

    for user in (sample_learner, other_learner):
        response = login_as(app, user).get(f"/media/{path}")
        assert response.status_code == 200, user.email
        assert cache_control(response) == PRIVATE, user.email
    assert app.test_client().get(f"/media/{path}").status_code == 404
    assert login_as(app, make_user("nobody@example.org")).get(f"/media/{path}").status_code == 404


def test_a_file_shared_with_a_preview_lecture_is_public(app, client, sample_module):
    other = module_sharing_the_locked_file()
    other.lectures[0].preview = True
    db.session.commit()
    response = client.get(f"/media/{lecture('in-conversation').media_path}")
    assert response.status_code == 200
    assert cache_control(response) == PUBLIC


def test_files_of_unpublished_modules_and_unknown_files_are_404(app, client, sample_module):
    preview = lecture("first-steps")
    preview.module.published = False
    db.session.commit()
    assert client.get(f"/media/{preview.media_path}").status_code == 404
    assert client.get("/media/lectures/unknown.mp4").status_code == 404
    assert client.get("/media/lectures/..").status_code == 404
    assert client.get("/media/lectures/%2e%2e").status_code == 404
    assert client.get("/media/lectures/a%00.mp4").status_code == 404
    assert client.get("/media/lectures/a%0d%0aX-Injected:%201").status_code == 404


@pytest.mark.parametrize("delivery", ["nginx", "", "X-Accel", "S3"])
def test_unsupported_media_delivery_is_refused_at_start(delivery):
    with pytest.raises(RuntimeError, match="MEDIA_DELIVERY") as refused:
        create_app("testing", {"MEDIA_DELIVERY": delivery, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert all(name in str(refused.value) for name in ("'send_file'", "'x-accel'", "'s3'"))


@pytest.mark.parametrize("delivery", ["send_file", "x-accel"])
def test_each_supported_media_delivery_serves_a_stored_photo_its_own_way(app, migrated, sample_module, delivery):
    delivering = create_app("testing", {
        "SQLALCHEMY_DATABASE_URI": migrated, "MEDIA_ROOT": app.config["MEDIA_ROOT"], "MEDIA_DELIVERY": delivery,
        "RATELIMIT_ENABLED": False,
    })
    with delivering.app_context():
        url = photo_url()
        response = delivering.test_client().get(url)
        db.session.remove()
        db.engine.dispose()
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    if delivery == "x-accel":  # nginx sends the bytes
        assert response.headers["X-Accel-Redirect"] == f"/protected-media{url[len('/media'):]}"
        assert response.data == b""
    else:
        assert "X-Accel-Redirect" not in response.headers
        assert response.data == Path(app.config["MEDIA_ROOT"], url[len("/media/"):]).read_bytes()
