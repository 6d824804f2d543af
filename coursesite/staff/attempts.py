"""Staff page for the CE test (``manage_certificates``): look up a learner's attempts and reset a round, audited,
so a learner who used every attempt may sit the test again."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Email, Length

from coursesite.accounts.addresses import user_by_email
from coursesite.assessment.attempts import AttemptRefused
from coursesite.assessment.resets import learner_tests, reset_learner_attempts
from coursesite.permissions import Right, requires_right

bp = Blueprint("staff_attempts", __name__, url_prefix="/staff/attempts")


class ResetForm(FlaskForm):
    email = HiddenField(validators=[DataRequired(), Email()])
    module = HiddenField(validators=[DataRequired(), Length(max=80)])
    reason = StringField("Reason", validators=[DataRequired(), Length(max=150)])


@bp.get("")
@requires_right(Right.MANAGE_CERTIFICATES)
def index() -> ResponseReturnValue:
    email = request.args.get("email", "")[:254].strip()
    learner = user_by_email(email) if email else None
    tests = learner_tests(learner.id) if learner else []
    return render_template("staff/attempts.html", email=email, learner=learner, tests=tests, form=ResetForm())


@bp.post("/reset")
@requires_right(Right.MANAGE_CERTIFICATES)
def reset() -> ResponseReturnValue:
    form = ResetForm()
    email = (form.email.data or "")[:254]
    if not form.validate_on_submit():
        errors = [str(error) for field_errors in form.errors.values() for error in field_errors]
        flash("Not reset: " + (" ".join(errors) or "the form expired, please try again."), "error")
        return redirect(url_for("staff_attempts.index", email=email or None))
    learner = user_by_email(email)
    if learner is None:
        flash("Not reset: no account uses that address.", "error")
        return redirect(url_for("staff_attempts.index"))
    try:
        voided = reset_learner_attempts(learner, form.module.data or "", form.reason.data or "", current_user)
    except AttemptRefused as refused:
        flash(f"Not reset: {refused}", "error")
    else:
        flash(f"Reset: {voided} attempt{'s' if voided != 1 else ''} no longer count; the learner may sit the test "
              f"again.", "success")
    return redirect(url_for("staff_attempts.index", email=email))
