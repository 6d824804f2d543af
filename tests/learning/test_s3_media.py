"""MEDIA_DELIVERY=s3 (coursesite/storage.py, coursesite/learning/media.py): the import uploads to the bucket, and a
media request that passes the access check is answered with a redirect to a presigned URL of moto's S3 server, which
a plain HTTP client follows to the bytes; the URL is refused once forged or expired."""
from __future__ import annotations

import re
from contextlib import suppress
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from sqlalchemy import select

from coursesite import create_app
from coursesite.catalog.models import Lecture, Speaker
from coursesite.extensions import db
from tests.factories import grant_access, make_user
from tests.s3_server import BUCKET, CheckedMotoServer
from tests.support import FIXTURES, login_as

LECTURES = FIXTURES / "content" / "sample-module" / "lectures"


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server on a loopback port, with the media bucket (moto keeps its buckets for the whole process)."""
    server = CheckedMotoServer()
    server.start()
    settings = server.settings()
    client = boto3.client("s3", endpoint_url=server.endpoint_url, region_name=settings["MEDIA_S3_REGION"],
                          aws_access_key_id=settings["MEDIA_S3_ACCESS_KEY_ID"],
                          aws_secret_access_key=settings["MEDIA_S3_SECRET_ACCESS_KEY"])
    with suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={
            "LocationConstraint": settings["MEDIA_S3_REGION"]})
    yield server
    server.stop()


@pytest.fixture
def s3(s3_server):
    s3_server.check.clock_offset = timedelta()
    yield s3_server
    s3_server.check.clock_offset = timedelta()


@pytest.fixture
def app_overrides(s3) -> dict:
    """Every ``app`` of this module stores and delivers media through the bucket."""
    return s3.settings()


def lecture(slug: str) -> Lecture:
    return db.session.scalar(select(Lecture).where(Lecture.slug == slug))


def bucket_keys(app) -> set[str]:
    store = app.extensions["media_store"]
    listing = store.client.list_objects_v2(Bucket=BUCKET)
    return {item["Key"] for item in listing.get("Contents", [])}


def test_the_import_uploads_every_stored_file_to_the_bucket_and_nothing_to_media_root(app, sample_module):
    preview, locked = lecture("first-steps"), lecture("in-conversation")
    speaker = db.session.scalar(select(Speaker).where(Speaker.slug == "ada-testwright"))
    stored = {preview.media_path, preview.captions_path, locked.media_path, locked.captions_path, speaker.photo_path}
    assert stored <= bucket_keys(app)
    assert not Path(app.config["MEDIA_ROOT"], preview.media_path).exists()
    head = app.extensions["media_store"].client.head_object(Bucket=BUCKET, Key=preview.captions_path)
    assert head["ContentType"] == "text/vtt"


def test_a_preview_file_redirects_to_a_presigned_url_that_serves_its_bytes(client, sample_module):
    preview = lecture("first-steps")
    response = client.get(f"/media/{preview.media_path}")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "X-Amz-Signature=" in location and parse_qs(urlsplit(location).query)["X-Amz-Expires"] == ["600"]
    assert response.get_data().startswith(b"<!doctype html>")  # a redirect notice: no media byte came through
    assert response.cache_control.public and response.cache_control.max_age == 300  # half the URL's life

    fetched = requests.get(location, timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == (LECTURES / "01-first-steps.m4a").read_bytes()
    assert fetched.headers["Content-Type"] == "audio/mp4"


def test_a_gated_file_redirects_only_for_learners_with_access_and_is_never_stored(app, client, sample_module):
    locked = lecture("in-conversation")
    assert client.get(f"/media/{locked.media_path}").status_code == 404
    assert login_as(app, make_user("stranger@example.org")).get(f"/media/{locked.media_path}").status_code == 404

    user = make_user("learner@example.org")
    grant_access(user, locked.module)
    response = login_as(app, user).get(f"/media/{locked.media_path}")
    assert response.status_code == 302
    assert response.headers["Cache-Control"] == "no-store"
    fetched = requests.get(response.headers["Location"], timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == (LECTURES / "02-in-conversation.mp4").read_bytes()
    assert fetched.headers["Cache-Control"] == "private, no-store"
    # The player seeks with byte ranges.
    part = requests.get(response.headers["Location"], headers={"Range": "bytes=0-9"}, timeout=10)
    assert part.status_code == 206 and part.content == fetched.content[:10]

    captions = login_as(app, user).get(f"/media/{locked.captions_path}")
    fetched = requests.get(captions.headers["Location"], timeout=10)
    assert fetched.content == (LECTURES / "02-in-conversation.vtt").read_bytes()
    assert fetched.headers["Content-Type"] == "text/vtt"


def test_a_stored_speaker_photo_redirects_to_its_bytes(client, sample_module):
    speaker = db.session.scalar(select(Speaker).where(Speaker.slug == "ada-testwright"))
    response = client.get(f"/media/{speaker.photo_path}")
    assert response.status_code == 302
    fetched = requests.get(response.headers["Location"], timeout=10)
    assert fetched.status_code == 200 and fetched.headers["Content-Type"] == "image/svg+xml"
    assert fetched.headers["Cache-Control"] == "public, max-age=86400"


def test_a_forged_or_unsigned_url_is_refused(client, s3, sample_module):
    location = client.get(f"/media/{lecture('first-steps').media_path}").headers["Location"]
    forged = re.sub(r"X-Amz-Signature=([0-9a-f])", lambda m: "X-Amz-Signature=" + "0123456789abcdef"[
        ("0123456789abcdef".index(m.group(1)) + 1) % 16], location)
    assert forged != location
    assert requests.get(forged, timeout=10).status_code == 403
    other_file = location.replace(lecture("first-steps").media_path, lecture("in-conversation").media_path)
    assert requests.get(other_file, timeout=10).status_code == 403  # a signature opens one file only
    assert requests.get(location.split("?", 1)[0], timeout=10).status_code == 403  # the bucket is private


def test_a_presigned_url_stops_working_after_its_minutes(client, s3, sample_module):
    location = client.get(f"/media/{lecture('first-steps').media_path}").headers["Location"]
    s3.check.clock_offset = timedelta(minutes=9)
    assert requests.get(location, timeout=10).status_code == 200
    s3.check.clock_offset = timedelta(minutes=11)
    assert requests.get(location, timeout=10).status_code == 403


def test_unknown_and_unpublished_files_are_still_404(client, sample_module):
    preview = lecture("first-steps")
    assert client.get("/media/lectures/unknown.mp4").status_code == 404
    assert client.get("/media/speakers/unknown.jpg").status_code == 404
    preview.module.published = False
    db.session.commit()
    assert client.get(f"/media/{preview.media_path}").status_code == 404


def test_pages_allow_media_and_photos_from_the_bucket_and_the_player_asks_for_cors(app, client, s3, sample_module):
    page = client.get("/modules/sample-module/lectures/first-steps")
    assert page.status_code == 200
    policy = dict(part.strip().split(" ", 1) for part in page.headers["Content-Security-Policy"].split(";")
                  if part.strip())
    assert s3.endpoint_url in policy["media-src"].split() and s3.endpoint_url in policy["img-src"].split()
    assert "'self'" in policy["media-src"].split()
    assert 'crossorigin="anonymous"' in page.get_data(as_text=True)
    assert "js/media_refresh" in page.get_data(as_text=True)  # a fresh URL when one expires during a long lecture
    cors = app.extensions["media_store"].client.get_bucket_cors(Bucket=BUCKET)["CORSRules"]
    assert cors[0]["AllowedMethods"] == ["GET", "HEAD"] and cors[0]["AllowedOrigins"] == ["*"]


def test_the_export_fetches_files_back_from_the_bucket(app, runner, tmp_path, sample_module):
    from coursesite.catalog.content import export_content

    report = export_content("sample-module", tmp_path / "exported")
    assert report.ok, report.errors
    exported = tmp_path / "exported" / "sample-module" / "lectures"
    assert (exported / "02-in-conversation.mp4").read_bytes() == (LECTURES / "02-in-conversation.mp4").read_bytes()


@pytest.mark.parametrize(("missing", "named"), [
    ("MEDIA_S3_BUCKET", "MEDIA_S3_BUCKET is not set"),
    ("MEDIA_S3_REGION", "MEDIA_S3_REGION is not set"),
    ("MEDIA_S3_ACCESS_KEY_ID", "MEDIA_S3_ACCESS_KEY_ID is not set"),
    ("MEDIA_S3_SECRET_ACCESS_KEY", "MEDIA_S3_SECRET_ACCESS_KEY is not set"),
])
def test_incomplete_s3_settings_are_refused_at_start_by_name(s3_server, missing, named):
    settings = {**s3_server.settings(), missing: None, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    with pytest.raises(RuntimeError, match="MEDIA_DELIVERY='s3' needs") as refused:
        create_app("testing", settings)
    assert named in str(refused.value)


@pytest.mark.parametrize(("name", "value", "named"), [
    ("MEDIA_S3_URL_EXPIRY_MINUTES", "ten", "MEDIA_S3_URL_EXPIRY_MINUTES must be a whole number of minutes"),
    ("MEDIA_S3_URL_EXPIRY_MINUTES", 0, "from 1 to 60, not 0"),
    ("MEDIA_S3_URL_EXPIRY_MINUTES", 600, "not 600"),
    ("MEDIA_S3_ENDPOINT_URL", "s3.example.org", "MEDIA_S3_ENDPOINT_URL must be an http(s) URL"),
])
def test_bad_s3_settings_are_refused_at_start_with_what_to_write(s3_server, name, value, named):
    settings = {**s3_server.settings(), name: value, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    with pytest.raises(RuntimeError, match="MEDIA_DELIVERY='s3' needs") as refused:
        create_app("testing", settings)
    assert named in str(refused.value)


def test_an_expiry_from_the_environment_is_read_as_minutes(s3_server):
    app = create_app("testing", {**s3_server.settings(), "MEDIA_S3_URL_EXPIRY_MINUTES": "5",
                                 "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.extensions["media_store"].expiry_seconds == 300


def test_production_never_sends_media_through_python():
    with pytest.raises(RuntimeError, match="'send_file' is for development"):
        create_app("production", {"SECRET_KEY": "p" * 64, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                                  "MEDIA_DELIVERY": "send_file"})
    assert create_app("production", {"SECRET_KEY": "p" * 64, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
                      ).config["MEDIA_DELIVERY"] == "x-accel"
