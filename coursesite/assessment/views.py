"""The CE test pages: what is still missing, starting an attempt, answering (a form, or JSON autosave), submitting,
and the result. Rules live in attempts.py, services.py and results.py; these views only translate.

Nothing sent before an attempt is graded says which choice is correct: the attempt page carries choice ids and
texts only, and answers go back as ids.
"""
from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.routing import BuildError

from coursesite.assessment import results
from coursesite.assessment.attempts import (
    AttemptNotFound,
    AttemptRefused,
    get_attempt,
    grade_if_expired,
    quiz_settings,
    save_answer,
    start_attempt,
    submit_attempt,
)
from coursesite.assessment.attempts import save_answers as store_answers
from coursesite.assessment.blueprint import bp
from coursesite.assessment.models import Attempt
from coursesite.assessment.services import may_sit, test_status
from coursesite.billing.access import has_access
from coursesite.catalog.models import Module
from coursesite.catalog.services import published_module_only
from coursesite.extensions import account_rate_limit_key, limiter
from coursesite.models_base import MAX_ID
from coursesite.permissions import Refused, Viewer, requires_module_access, signed_in

# Answers are saved one click at a time: generous for a person, a ceiling for a script.
ANSWER_RATE_LIMIT = "120/minute;2000/hour"
START_RATE_LIMIT = "20/hour"

# An attempt id larger than any row could be is a 404, never an integer the database refuses.
ATTEMPT = f"/modules/<slug>/test/attempts/<int(max={MAX_ID}):attempt_id>"


def module_gate(user: Viewer | None, slug: str, **_ids: Any) -> Module | Refused:
    """The module, for learners with access to it; a learner without access sees what they are missing (403)."""
    module = published_module_only(slug)
    if module is None or not signed_in(user):
        return Refused()
    if not has_access(user, module.id):
        eligibility = may_sit(user, module)
        return Refused((render_template("assessment/test.html", module=module, eligibility=eligibility,
                                        status=None, settings=quiz_settings(module.id)), 403))
    return module


def _attempt_of(module: Module, attempt_id: int) -> Attempt:
    """The current learner's attempt at this module's test; anything else is a 404."""
    try:
        attempt = get_attempt(current_user.id, attempt_id)
    except AttemptNotFound:
        abort(404)
    if attempt.module_id != module.id:
        abort(404)
    return attempt


@bp.get("/modules/<slug>/test")
@requires_module_access(module_gate)
def test(module: Module, slug: str) -> ResponseReturnValue:
    status = test_status(current_user.id, module.id)
    if status.in_progress_attempt_id:
        running = get_attempt(current_user.id, status.in_progress_attempt_id)
        if grade_if_expired(running):
            status = test_status(current_user.id, module.id)
    return render_template("assessment/test.html", module=module, eligibility=may_sit(current_user, module),
                           status=status, settings=quiz_settings(module.id))


@bp.post("/modules/<slug>/test/start")
@limiter.limit(START_RATE_LIMIT, key_func=account_rate_limit_key)
@requires_module_access(module_gate)
def start(module: Module, slug: str) -> ResponseReturnValue:
    if not may_sit(current_user, module).allowed:
        return redirect(url_for("assessment.test", slug=slug))
    try:
        attempt = start_attempt(current_user.id, module.id)
    except AttemptRefused as refusal:
        flash(str(refusal), "error")
        return redirect(url_for("assessment.test", slug=slug))
    return redirect(url_for("assessment.attempt", slug=slug, attempt_id=attempt.id))


@bp.get(ATTEMPT)
@requires_module_access(module_gate)
def attempt(module: Module, slug: str, attempt_id: int) -> ResponseReturnValue:
    current = _attempt_of(module, attempt_id)
    grade_if_expired(current)
    if current.status == "graded":
        return redirect(url_for("assessment.result", slug=slug, attempt_id=current.id))
    return render_template("assessment/attempt.html", module=module, attempt=current,
                           items=results.questions_for_learner(current))


def _posted_answers() -> list[tuple[int, int]]:
    """``answer-<question id>=<choice id>`` pairs of the posted form; anything else is ignored."""
    pairs = []
    for name, value in request.form.items():
        if name.startswith("answer-"):
            question_id, choice_id = name.removeprefix("answer-"), value
            if not (question_id.isdigit() and choice_id.isdigit()):
                abort(400)
            pairs.append((int(question_id), int(choice_id)))
    return pairs


def _save_posted(attempt: Attempt) -> str | None:
    """Save the form's answers, all or none; why they were refused, or None."""
    answers = _posted_answers()
    if not answers:
        return None
    try:
        store_answers(current_user.id, attempt.id, answers)
    except AttemptRefused as refusal:
        return str(refusal)
    return None


@bp.post(ATTEMPT + "/answers")
@limiter.limit(ANSWER_RATE_LIMIT, key_func=account_rate_limit_key)
@requires_module_access(module_gate)
def save_answers(module: Module, slug: str, attempt_id: int) -> ResponseReturnValue:
    """The form without JavaScript: save what is ticked and come back to the attempt."""
    current = _attempt_of(module, attempt_id)
    problem = _save_posted(current)
    if problem:
        flash(problem, "error")
        return redirect(url_for("assessment.attempt", slug=slug, attempt_id=current.id), 303)
    flash("Your answers are saved.", "success")
    return redirect(url_for("assessment.attempt", slug=slug, attempt_id=current.id), 303)


@bp.post(ATTEMPT + "/answer")
@limiter.limit(ANSWER_RATE_LIMIT, key_func=account_rate_limit_key)
@requires_module_access(module_gate)
def answer(module: Module, slug: str, attempt_id: int) -> ResponseReturnValue:
    """Autosave one answer (JSON ``{"question_id": n, "choice_id": n}``, CSRF token in ``X-CSRFToken``)."""
    current = _attempt_of(module, attempt_id)
    data = request.get_json(silent=True)
    question_id = data.get("question_id") if isinstance(data, dict) else None
    choice_id = data.get("choice_id") if isinstance(data, dict) else None
    if not (type(question_id) is int and type(choice_id) is int):
        return jsonify(error="Send a JSON object with whole-number question_id and choice_id."), 400
    try:
        saved = save_answer(current_user.id, current.id, question_id, choice_id)
    except AttemptRefused as refusal:
        return jsonify(error=str(refusal)), 409
    return jsonify(saved=True, question_id=saved.question_id, answered_at=saved.answered_at.isoformat()
                   if saved.answered_at else None)


@bp.post(ATTEMPT + "/submit")
@limiter.limit(ANSWER_RATE_LIMIT, key_func=account_rate_limit_key)
@requires_module_access(module_gate)
def submit(module: Module, slug: str, attempt_id: int) -> ResponseReturnValue:
    """Save the answers posted with the form (while the attempt is open and in time), then grade it, once."""
    answers = _posted_answers()
    try:
        submit_attempt(current_user.id, attempt_id, answers=answers, module_id=module.id)
    except AttemptNotFound:
        abort(404)
    except AttemptRefused as refusal:
        flash(f"Not submitted: {refusal}", "error")
        return redirect(url_for("assessment.attempt", slug=slug, attempt_id=attempt_id), 303)
    return redirect(url_for("assessment.result", slug=slug, attempt_id=attempt_id), 303)


@bp.get(ATTEMPT + "/result")
@requires_module_access(module_gate)
def result(module: Module, slug: str, attempt_id: int) -> ResponseReturnValue:
    current = _attempt_of(module, attempt_id)
    grade_if_expired(current)
    if current.status != "graded":
        return render_template("assessment/not_graded.html", module=module, attempt=current)
    status = test_status(current_user.id, module.id)
    report = results.report_for(module, current, status, quiz_settings(module.id))
    return render_template("assessment/result.html", module=module, attempt=current, report=report, status=status,
                           evaluation_url=_evaluation_url(module) if current.passed else None)


def _evaluation_url(module: Module) -> str | None:
    """The course evaluation that follows a pass (its page lives in evaluation_views.py, on this blueprint)."""
    try:
        return url_for("assessment.evaluation", slug=module.slug)
    except BuildError:
        return None
