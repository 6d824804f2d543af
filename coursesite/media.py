"""Serving stored media: speaker photos to everyone, lecture files to those allowed to watch them."""
from __future__ import annotations

import mimetypes
from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory
from flask_login import current_user
from sqlalchemy import or_, select

from coursesite.billing.access import can_watch
from coursesite.catalog.models import Lecture, Module
from coursesite.extensions import db

bp = Blueprint("media", __name__, url_prefix="/media")
# Browsers only load caption tracks served as text/vtt; Python's table may not know the suffix.
mimetypes.add_type("text/vtt", ".vtt")
mimetypes.add_type("audio/mp4", ".m4a")


def lecture_for_file(path: str) -> Lecture | None:
    return db.session.scalar(
        select(Lecture).join(Lecture.module).where(
            Module.published.is_(True),
            or_(Lecture.media_path == path, Lecture.captions_path == path, Lecture.slides_path == path),
        )
    )


def deliver(path: str):
    """Send a stored file, or hand it to the front web server when ``MEDIA_DELIVERY=x-accel``."""
    if current_app.config["MEDIA_DELIVERY"] == "x-accel":
        response = current_app.response_class()
        response.headers["X-Accel-Redirect"] = f"/protected-media/{path}"
        return response
    return send_from_directory(Path(current_app.config["MEDIA_ROOT"]), path, max_age=86400)


@bp.get("/speakers/<name>")
def speaker_photo(name: str):
    return deliver(f"speakers/{name}")


@bp.get("/lectures/<name>")
def lecture_file(name: str):
    lecture = lecture_for_file(f"lectures/{name}")
    if lecture is None or not can_watch(current_user, lecture):
        abort(404)
    return deliver(f"lectures/{name}")
