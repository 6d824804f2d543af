"""Staff's list of accommodation requests (``view_reports``): open ones oldest first, and marking one handled
(audited). Learners send them from /modules/<slug>/accommodation (coursesite/assessment/accommodations.py)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm

from coursesite.assessment import accommodations
from coursesite.extensions import db
from coursesite.models_base import row_id
from coursesite.permissions import Right, requires_right

bp = Blueprint("staff_accommodations", __name__, url_prefix="/staff/accommodations")


@bp.get("")
@requires_right(Right.VIEW_REPORTS)
def index() -> ResponseReturnValue:
    return render_template("staff/accommodations.html", open_requests=accommodations.requests_for_staff("open"),
                           handled=accommodations.requests_for_staff("handled"), form=FlaskForm())


@bp.post("/handled")
@requires_right(Right.VIEW_REPORTS)
def handled() -> ResponseReturnValue:
    """``request=<id>``: mark that open request handled."""
    form = FlaskForm()
    request_id = row_id(request.form.get("request"))
    if not form.validate_on_submit():
        flash("The form expired: please try again.", "error")
    elif request_id is None or not accommodations.mark_handled(request_id, current_user):
        flash("No such open request (already handled?).", "info")
    else:
        db.session.commit()
        flash(f"Request {request_id} is marked handled.", "success")
    return redirect(url_for("staff_accommodations.index"))
