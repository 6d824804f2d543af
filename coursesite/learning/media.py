"""Serving stored media: speaker photos to everyone, lecture files to those allowed to watch them.

Only a file that a database row names is served: a speaker's stored photo, or the media, captions or slides of a
lecture in a published module. A URL can therefore never reach another file under ``MEDIA_ROOT``, nor put anything
of its own into the ``X-Accel-Redirect`` header nginx acts on. Everything else is a 404.
"""
from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, abort, current_app, redirect, send_from_directory
from werkzeug.wrappers import Response

from coursesite.billing.access import can_watch
from coursesite.catalog.models import Lecture
from coursesite.learning.services import is_speaker_photo, lectures_for_file
from coursesite.permissions import Refused, Viewer, public, requires_module_access
from coursesite.storage import s3_store

bp = Blueprint("media", __name__, url_prefix="/media")
# (coursesite.storage teaches mimetypes text/vtt and audio/mp4, which browsers need for captions and audio.)

# Photos and preview files are the same for everyone: any cache may keep them a day. A gated file is paid content:
# no cache keeps it (``no-store``, set for every gated route by coursesite.permissions, the one home of that rule).
PUBLIC_MAX_AGE = 86400


def deliver(path: str, *, public: bool) -> Response:
    """Send a stored file, hand it to the front web server when ``MEDIA_DELIVERY=x-accel``, or redirect to a presigned
    URL of the bucket when ``MEDIA_DELIVERY=s3`` (coursesite/storage.py).

    ``path`` must come from the database (see the module docstring), never straight from the URL.
    """
    max_age = PUBLIC_MAX_AGE if public else None
    bucket = s3_store()
    if bucket is not None:
        response = redirect(bucket.presigned_url(path, public=public), code=302)
        if public:  # the same for everyone, but the URL expires: keep the redirect less than half its life
            response.cache_control.public = True
            response.cache_control.max_age = bucket.expiry_seconds // 2
        return response  # a gated file's redirect is no-store (coursesite.permissions), like its bytes
    if current_app.config["MEDIA_DELIVERY"] == "x-accel":
        response = current_app.response_class()
        response.headers["X-Accel-Redirect"] = "/protected-media/" + quote(path, safe="/")
        response.content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    else:
        response = send_from_directory(Path(current_app.config["MEDIA_ROOT"]), path, max_age=max_age)
    if public:
        response.cache_control.public = True
        response.cache_control.max_age = max_age
    return response


def _may_name_a_stored_file(name: str) -> bool:
    """Stored names are printable; a control character (a NUL that PostgreSQL refuses, CR/LF) names nothing."""
    return name.isprintable()


def may_watch_any(user: Viewer | None, lectures: list[Lecture]) -> bool:
    """May ``user`` watch at least one of ``lectures`` (one access check per module)?"""
    checked_modules: set[int] = set()
    for lecture in lectures:
        if lecture.module_id in checked_modules and not lecture.preview:
            continue
        checked_modules.add(lecture.module_id)
        if can_watch(user, lecture):
            return True
    return False


@bp.get("/speakers/<name>")
@public  # speaker photos appear on the public catalogue pages
def speaker_photo(name: str) -> Response:
    path = f"speakers/{name}"
    if not _may_name_a_stored_file(name) or not is_speaker_photo(path):
        abort(404)
    return deliver(path, public=True)


def lecture_file_gate(user: Viewer | None, name: str) -> list[Lecture] | Refused:
    """The lectures using the file, when the user may watch one of them; a 404 for everyone else."""
    lectures = lectures_for_file(f"lectures/{name}") if _may_name_a_stored_file(name) else []
    return lectures if may_watch_any(user, lectures) else Refused()


@bp.get("/lectures/<name>")
@requires_module_access(lecture_file_gate)
def lecture_file(lectures: list[Lecture], name: str) -> Response:
    return deliver(f"lectures/{name}", public=any(lecture.preview for lecture in lectures))
