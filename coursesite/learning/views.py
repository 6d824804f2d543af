"""The lecture page: player with captions, interactive transcript, notes and slides."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from coursesite.billing.access import can_watch
from coursesite.learning.services import find_lecture

bp = Blueprint("learning", __name__)


@bp.get("/modules/<slug>/lectures/<lecture_slug>")
def lecture(slug: str, lecture_slug: str):
    place = find_lecture(slug, lecture_slug)
    if place is None:
        abort(404)
    if not can_watch(current_user, place.lecture):
        return render_template("learning/locked.html", place=place), 403
    return render_template("learning/lecture.html", place=place)
