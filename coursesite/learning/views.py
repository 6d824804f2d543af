"""The learner's pages: "My learning", and the lecture page (player with captions, interactive transcript, notes and
slides)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from coursesite.accounts.models import User
from coursesite.billing.access import can_watch, has_access
from coursesite.catalog.models import Module
from coursesite.extensions import login_manager
from coursesite.learning.lecture_page import lecture_content
from coursesite.learning.module_home import find_module_with_lectures, learner_home
from coursesite.learning.notes import notes_on_lecture
from coursesite.learning.overview import learning_overview
from coursesite.learning.progress import player_progress
from coursesite.learning.services import LecturePlace, find_lecture
from coursesite.learning.transcript import parse_position
from coursesite.permissions import Refused, Viewer, login_required, requires_module_access, signed_in

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
    return render_lecture(place)


def render_lecture(place: LecturePlace, status: int = 200, **extra: Any) -> ResponseReturnValue:
    """The lecture page (also re-shown, with ``extra`` such as a note form's error, by the notes views).

    ``?t=`` starts the media at that second (transcript links, notes, search hits); ``?find=`` filters the
    transcript (coursesite/learning/transcript.py). A logged-in viewer sees their own notes on the lecture.
    """
    start_at = parse_position(request.args.get("t"), place.lecture.duration_seconds)
    # Content (heading, transcript with glossary links, references, ...): rendered once per lecture and content
    # revision (coursesite/learning/lecture_page.py, which calls coursesite/learning/reading.py).
    content = lecture_content(place, current_user, find=request.args.get("find", ""), at=start_at)
    my_notes = notes_on_lecture(current_user.id, place.lecture.id) if current_user.is_authenticated else None
    # Attendance (coursesite/learning/progress.py): with no ?t= the player resumes at the last position reported.
    progress = (player_progress(current_user.id, place.lecture, resume="t" not in request.args)
                if current_user.is_authenticated else None)
    return render_template("learning/lecture.html", place=place, start_at=start_at, content=content,
                           transcript=content.transcript, my_notes=my_notes, player_progress=progress,
                           **extra), status


def module_home_gate(user: Viewer | None, slug: str) -> Module | Refused:
    """The published module with its lectures, for a logged-in person with access; visitors are sent to log in,
    learners without access see what they are missing (403), and an unknown module is a 404."""
    if not signed_in(user):
        return Refused(login_manager.unauthorized())
    module = find_module_with_lectures(slug)
    if module is None:
        return Refused()
    if not has_access(user, module.id):
        return Refused((render_template("learning/module_locked.html", module=module), 403))
    return module


@bp.get("/modules/<slug>/learn")
@requires_module_access(module_home_gate)
def module_home(module: Module, slug: str) -> ResponseReturnValue:
    return render_template("learning/module_home.html", home=learner_home(current_user.id, module))
