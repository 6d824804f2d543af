"""A learner's private notes: add, edit and delete on the lecture page, every note of a module on one page, and the
Markdown download. Rules and limits are in coursesite/learning/notes.py.

Every route is for the logged-in author only: a note id that is not theirs is a 404, as is a lecture they may not
watch. Forms work without JavaScript (POST, then back to the page); static/js/lecture.js sends the same forms with
``Accept: application/json`` and gets the notes list's new HTML (or the error) back, so the player keeps playing.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from coursesite.billing.access import can_watch
from coursesite.errors import wants_json
from coursesite.extensions import account_rate_limit_key, limiter
from coursesite.learning.models import Note
from coursesite.learning.notes import (
    ModuleNotes,
    NoteError,
    add_note,
    delete_note,
    lecture_of,
    module_notes,
    notes_markdown,
    notes_on_lecture,
    own_note,
    update_note,
)
from coursesite.learning.services import LecturePlace, find_lecture
from coursesite.learning.views import render_lecture
from coursesite.models_base import MAX_ID, utcnow
from coursesite.permissions import login_required
from coursesite.templating import format_clock

bp = Blueprint("notes", __name__)

# A learner writes a note every few seconds at most; a script could write thousands.
NOTE_RATE_LIMIT = "30/minute;600/hour"


def _watchable(slug: str, lecture_slug: str) -> LecturePlace:
    place = find_lecture(slug, lecture_slug)
    if place is None or not can_watch(current_user, place.lecture):
        abort(404)
    return place


def _back_to_module(place: LecturePlace) -> bool:
    """Does the answer go to the module's notes page rather than the lecture page: the form was there, or the
    learner may no longer watch the lecture (access ended: they still edit and delete their own notes, but the lecture
    page, transcript included, is not shown to them again)?"""
    return request.form.get("back") == "module" or not can_watch(current_user, place.lecture)


def _answer(place: LecturePlace, message: str, *, anchor: str = "my-notes") -> ResponseReturnValue:
    """After a change: JSON clients get the lecture's notes list to put in place; others go back to the page."""
    if wants_json():
        html = render_template("learning/_note_list.html", notes=notes_on_lecture(current_user.id, place.lecture.id),
                               module_slug=place.module.slug, lecture_slug=place.lecture.slug, back="lecture")
        return jsonify(html=html, message=message)
    flash(message, "success")
    if _back_to_module(place):
        return redirect(url_for("notes.module_notes", slug=place.module.slug, _anchor=anchor))
    return redirect(url_for("learning.lecture", slug=place.module.slug, lecture_slug=place.lecture.slug,
                            _anchor=anchor))


def _refused(place: LecturePlace, error: NoteError, **form: Any) -> ResponseReturnValue:
    """Bad input: the reason, nothing stored; the form is shown again with what was typed."""
    if wants_json():
        return jsonify(error=str(error)), 422
    if _back_to_module(place):
        notes = module_notes(current_user.id, place.module.slug)
        return render_template("learning/module_notes.html", notes=notes, note_error=str(error), **form), 422
    return render_lecture(place, 422, note_error=str(error), **form)


@bp.post("/modules/<slug>/lectures/<lecture_slug>/notes")
@login_required
@limiter.limit(NOTE_RATE_LIMIT, key_func=account_rate_limit_key)
def create(slug: str, lecture_slug: str) -> ResponseReturnValue:
    place = _watchable(slug, lecture_slug)
    time, text = request.form.get("time", ""), request.form.get("text", "")
    try:
        note = add_note(current_user.id, place.lecture, time, text)
    except NoteError as error:
        return _refused(place, error, note_values={"time": time[:20], "text": text[:20_000]})
    return _answer(place, f"Note saved at {format_clock(note.position)}.", anchor=f"note-{note.id}")


def _own_note_place(note_id: int) -> tuple[Note, LecturePlace]:
    note = own_note(current_user.id, note_id)
    if note is None:
        abort(404)
    lecture = lecture_of(note)
    place = find_lecture(lecture.module.slug, lecture.slug)
    if place is None:  # the module was unpublished: the note stays in the learner's download
        abort(404)
    return note, place


@bp.post(f"/notes/<int(max={MAX_ID}):note_id>/edit")
@login_required
@limiter.limit(NOTE_RATE_LIMIT, key_func=account_rate_limit_key)
def update(note_id: int) -> ResponseReturnValue:
    note, place = _own_note_place(note_id)
    time, text = request.form.get("time", ""), request.form.get("text", "")
    try:
        update_note(note, place.lecture.duration_seconds, time, text)
    except NoteError as error:
        return _refused(place, error, edit_values={"id": note.id, "time": time[:20], "text": text[:20_000]})
    return _answer(place, f"Note at {format_clock(note.position)} saved.", anchor=f"note-{note.id}")


@bp.post(f"/notes/<int(max={MAX_ID}):note_id>/delete")
@login_required
@limiter.limit(NOTE_RATE_LIMIT, key_func=account_rate_limit_key)
def delete(note_id: int) -> ResponseReturnValue:
    note, place = _own_note_place(note_id)
    at = format_clock(note.position)
    delete_note(note)
    return _answer(place, f"Note at {at} deleted.")


def _module_notes_or_404(slug: str) -> ModuleNotes:
    notes = module_notes(current_user.id, slug)
    if notes is None:
        abort(404)
    return notes


@bp.get("/modules/<slug>/notes", endpoint="module_notes")
@login_required
def module_notes_page(slug: str) -> ResponseReturnValue:
    return render_template("learning/module_notes.html", notes=_module_notes_or_404(slug))


@bp.get("/modules/<slug>/notes.md")
@login_required
def download(slug: str) -> Response:
    notes = _module_notes_or_404(slug)

    def lecture_url(lecture_slug: str, seconds: str) -> str:
        return url_for("learning.lecture", slug=notes.module_slug, lecture_slug=lecture_slug, t=seconds,
                       _external=True)

    body = notes_markdown(notes, lecture_url, utcnow())
    response = Response(body, mimetype="text/markdown")
    response.headers["Content-Disposition"] = f'attachment; filename="{notes.module_slug}-notes.md"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
