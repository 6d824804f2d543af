"""Staff pages under ``/staff``: granting and revoking access (``grant_access``), the audit log (``view_audit``),
failed background jobs (``manage_jobs``)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from coursesite.accounts.audit import AUDIT_MAX_PAGE, AuditFilters, audit_actions, audit_events
from coursesite.accounts.models import User
from coursesite.billing import grants
from coursesite.jobs import outbox
from coursesite.models_base import row_id
from coursesite.permissions import Right, has_right, requires_right
from coursesite.staff import services
from coursesite.staff.forms import AuditFilterForm, GrantForm, RevokeForm

bp = Blueprint("staff", __name__, url_prefix="/staff")


def staff_landing_page(user: User) -> str | None:
    """Where staff land after logging in: whoever grants access on that page, editors on the catalogue they look
    after; other staff (moderators) as learners do."""
    if has_right(user, Right.GRANT_ACCESS):
        return url_for("staff.access")
    if has_right(user, Right.MANAGE_CATALOG):
        return url_for("catalog.catalog")
    return None


# /staff/access --------------------------------------------------------------------------------------------------------

@bp.route("/access", methods=["GET", "POST"])
@requires_right(Right.GRANT_ACCESS)
def access() -> ResponseReturnValue:
    form = GrantForm()
    form.module.choices = services.module_choices()
    if form.validate_on_submit():
        try:
            grants.grant_access(form.email.data or "", form.module.data or "", form.days.data or 0, current_user)
        except grants.StaffActionRefused as refused:
            form.email.errors = [*form.email.errors, str(refused)]
        else:
            flash(f"Granted {form.days.data} days of access to {form.email.data}.", "success")
            return redirect(url_for("staff.access", email=form.email.data))
    email = request.args.get("email", "") or (form.email.data or "")
    learner = services.learner_access(email) if email else None
    return render_template("staff/access.html", form=form, learner=learner, email=email,
                           revoke_form=RevokeForm()), 422 if form.errors else 200


@bp.post("/access/revoke")
@requires_right(Right.GRANT_ACCESS)
def revoke() -> ResponseReturnValue:
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        revocation = grants.revoke_access(form.email.data or "", form.module.data or "", current_user)
    except grants.StaffActionRefused as refused:
        abort(400, str(refused))
    flash(revocation.message, "success")
    return redirect(url_for("staff.access", email=form.email.data))


# /staff/audit ---------------------------------------------------------------------------------------------------------

@bp.get("/audit")
@requires_right(Right.VIEW_AUDIT)
def audit_log() -> ResponseReturnValue:
    form = AuditFilterForm(request.args)
    form.action.choices = [("", "Any action")] + [(action, action) for action in audit_actions()]
    filters = services.audit_filters(form) if form.validate() else AuditFilters()
    requested = request.args.get("page", 1, type=int)
    page = min(max(requested, 1), AUDIT_MAX_PAGE)
    events = audit_events(filters, page=page)
    page_note = ""
    if requested != page or (page > 1 and page > events.pages):
        page_note = (f"There is no page {request.args.get('page', '')[:40]}: the log, as filtered, has "
                     f"{events.pages} page{'s' if events.pages != 1 else ''}.")
    query = {key: value for key, value in request.args.items() if key != "page" and value}
    return render_template("staff/audit.html", form=form, events=events, query=query, page_note=page_note)


# /staff/jobs ----------------------------------------------------------------------------------------------------------

@bp.get("/jobs")
@requires_right(Right.MANAGE_JOBS)
def jobs() -> ResponseReturnValue:
    """The background jobs that failed for good (after every retry), to run again once the cause is mended."""
    return render_template("staff/jobs.html", failed=outbox.failed_jobs(), counts=outbox.status_counts())


@bp.post("/jobs/retry")
@requires_right(Right.MANAGE_JOBS)
def retry_jobs() -> ResponseReturnValue:
    """``job=<id>`` retries one failed job, ``all=1`` every one."""
    job_id = row_id(request.form.get("job"))
    if job_id is None and request.form.get("all") != "1":
        abort(400)
    retried = services.retry_failed_jobs(current_user, None if job_id is None else [job_id])
    flash(f"{retried} job(s) queued again." if retried else "No failed job to retry (already retried?).",
          "success" if retried else "info")
    return redirect(url_for("staff.jobs"))
