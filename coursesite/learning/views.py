"""The lecture page: player with captions, interactive transcript, notes and slides."""
from __future__ import annotations

from flask import Blueprint, render_template

from coursesite.billing.access import can_watch
from coursesite.billing.gating import Refused, requires_module_access
from coursesite.learning.services import LecturePlace, find_lecture

bp = Blueprint("learning", __name__)


def lecture_gate(user, slug: str, lecture_slug: str) -> LecturePlace | Refused:
    """The lecture, for those who may watch it (previews: everyone); others see what they are missing, with a 403."""
    place = find_lecture(slug, lecture_slug)
    if place is None:
        return Refused()
    if not can_watch(user, place.lecture):
        return Refused((render_template("learning/locked.html", place=place), 403))
    return place


@bp.get("/modules/<slug>/lectures/<lecture_slug>")
@requires_module_access(lecture_gate)
def lecture(place: LecturePlace, slug: str, lecture_slug: str):
    return render_template("learning/lecture.html", place=place)
