"""The learner's pages: "My learning", and the lecture page (player with captions, interactive transcript, notes and
slides)."""
from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from coursesite.accounts.models import User
from coursesite.billing.access import can_watch
from coursesite.learning.overview import learning_overview
from coursesite.learning.services import LecturePlace, find_lecture
from coursesite.permissions import Refused, Viewer, login_required, requires_module_access

bp = Blueprint("learning", __name__)


@bp.get("/learning")
@login_required
def overview() -> ResponseReturnValue:
    return render_template("learning/overview.html", modules=learning_overview(current_user.id))


def learning_landing_page(_user: User) -> str:
    """Where learners land after logging in: the modules they can use."""
    return url_for("learning.overview")


def lecture_gate(user: Viewer | None, slug: str, lecture_slug: str) -> LecturePlace | Refused:
    """The lecture, for those who may watch it (previews: everyone); others see what they are missing, with a 403."""
    place = find_lecture(slug, lecture_slug)
    if place is None:
        return Refused()
    if not can_watch(user, place.lecture):
        return Refused((render_template("learning/locked.html", place=place), 403))
    return place


@bp.get("/modules/<slug>/lectures/<lecture_slug>")
@requires_module_access(lecture_gate)
def lecture(place: LecturePlace, slug: str, lecture_slug: str) -> ResponseReturnValue:
    return render_template("learning/lecture.html", place=place)
