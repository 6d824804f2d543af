"""Attendance pages: the player's progress reports (JSON), and the learner's own attendance page for a module.

The rules live in coursesite/learning/progress.py; these views check access, read the request and answer.

**CSRF.** Every report carries the page's CSRF token, checked by Flask-WTF like any form: ``fetch`` sends it in the
``X-CSRFToken`` header with a JSON body; ``navigator.sendBeacon`` (which cannot set headers) sends a form
(``multipart/form-data``) whose ``csrf_token`` field holds it and whose ``report`` field holds the JSON report.
"""
from __future__ import annotations

from functools import cache

from flask import Blueprint, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import load_only

from coursesite.billing.access import can_watch, has_access
from coursesite.catalog.models import Lecture, Module
from coursesite.catalog.services import published_module_only
from coursesite.extensions import account_rate_limit_key, db, limiter, login_manager
from coursesite.learning.progress import (
    COMPLETION_SHARE,
    MAX_BODY_BYTES,
    ReportConflict,
    ReportError,
    completion,
    has_attendance,
    parse_report_text,
    percent_covered,
    record_report,
)
from coursesite.permissions import Refused, Viewer, requires_module_access, signed_in

bp = Blueprint("progress", __name__)


@cache
def _reported_lecture() -> Select[Lecture]:
    """The lecture of a report (``:slug``, ``:lecture_slug``), built once: a report arrives every ten seconds."""
    return (select(Lecture).join(Lecture.module)
            .where(Module.slug == bindparam("slug"), Module.published.is_(True),
                   Lecture.slug == bindparam("lecture_slug"))
            # what a report needs, not the transcript (cues) or texts
            .options(load_only(Lecture.id, Lecture.module_id, Lecture.slug, Lecture.duration_seconds,
                               Lecture.preview)))


def report_gate(user: Viewer | None, slug: str, lecture_slug: str) -> Lecture | Refused:
    """The lecture, for a logged-in person who may watch it (a preview: anyone logged in); 404 for everyone else,
    visitors included, so no progress row is ever made for someone without access. One query for the lecture."""
    if not signed_in(user):
        return Refused()
    lecture = db.session.scalar(_reported_lecture(), {"slug": slug, "lecture_slug": lecture_slug})
    if lecture is None or not can_watch(user, lecture):
        return Refused()
    return lecture


def _report_limit() -> str:
    return str(current_app.config["PROGRESS_RATE_LIMIT"])


def _bad_report(message: str) -> ResponseReturnValue:
    return jsonify(error=message), 400


def _report_body() -> str | bytes:
    """The report's JSON text: the body of a JSON request, or a beacon form's ``report`` field."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise ReportError(f"The report is larger than {MAX_BODY_BYTES} bytes.")
    if request.mimetype == "application/json":
        body: str | bytes = request.get_data()
    else:
        field = request.form.get("report")
        if field is None:
            raise ReportError("The report is missing: send JSON, or a form with a report field.")
        body = field
    if len(body) > MAX_BODY_BYTES:
        raise ReportError(f"The report is larger than {MAX_BODY_BYTES} bytes.")
    return body


@bp.post("/modules/<slug>/lectures/<lecture_slug>/progress")
# The player reports every ten seconds and on pause or leave: a person sends a few a minute, a script thousands.
@limiter.limit(_report_limit, key_func=account_rate_limit_key)
@requires_module_access(report_gate)
def report(lecture: Lecture, slug: str, lecture_slug: str) -> ResponseReturnValue:
    try:
        parsed = parse_report_text(_report_body())
    except ReportError as error:
        return _bad_report(str(error))
    # Read before the report commits: the commit expires the lecture, and reading it after would reload it whole.
    duration = lecture.duration_seconds
    try:
        outcome = record_report(current_user.id, lecture, parsed)
    except ReportConflict:  # other reports of this learner kept winning the race: the player sends this one again
        return jsonify(error="Other reports arrived at the same time; send this one again."), 409
    return jsonify(
        counted_seconds=round(outcome.counted_seconds, 3),
        capped=outcome.capped,
        percent_covered=percent_covered(outcome.covered_seconds, duration),
        complete=outcome.complete,
        last_position=outcome.last_position,
    )


def module_gate(user: Viewer | None, slug: str) -> Module | Refused:
    """The published module, for a logged-in person with access to it or attendance on record in it (kept readable
    after access ends); visitors are sent to log in, others get 404."""
    if not signed_in(user):
        return Refused(login_manager.unauthorized())
    module = published_module_only(slug)
    if module is None or not (has_access(user, module.id) or has_attendance(user.id, module.id)):
        return Refused()
    return module


@bp.get("/modules/<slug>/progress")
@requires_module_access(module_gate)
def attendance(module: Module, slug: str) -> ResponseReturnValue:
    return render_template("learning/attendance.html", module=module, progress=completion(current_user.id, module),
                           share=COMPLETION_SHARE)
