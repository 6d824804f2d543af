"""Staff pages for certificates (``manage_certificates``): list and search, revoke with a reason, reissue after a
name correction (new code; the old one is marked superseded and links to the new). Every action is audited by the
certificates services."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from coursesite.certificates import services
from coursesite.certificates.forms import ReissueForm, StaffRevokeForm
from coursesite.models_base import MAX_ID
from coursesite.permissions import Right, requires_right

bp = Blueprint("staff_certificates", __name__, url_prefix="/staff/certificates")

MAX_PAGE = 10_000


@bp.get("")
@requires_right(Right.MANAGE_CERTIFICATES)
def index() -> ResponseReturnValue:
    query = request.args.get("q", "")[:200]
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    results = services.staff_search(query, page)
    return render_template("staff/certificates.html", results=results, query=query,
                           emails=services.holder_emails(list(results.items)), format_hours=services.format_hours,
                           revoke_form=StaffRevokeForm(), reissue_form=ReissueForm())


def _back() -> ResponseReturnValue:
    return redirect(url_for("staff_certificates.index", q=request.form.get("q", "")[:200] or None))


@bp.post(f"/<int(max={MAX_ID}):certificate_id>/revoke")
@requires_right(Right.MANAGE_CERTIFICATES)
def revoke(certificate_id: int) -> ResponseReturnValue:
    form = StaffRevokeForm()
    if not form.validate_on_submit():
        flash(" ".join(form.reason.errors) or "The form expired: please try again.", "error")
        return _back()
    try:
        certificate = services.revoke(certificate_id, form.reason.data or "", current_user)
    except LookupError:
        abort(404)
    except services.CertificateError as refused:
        flash(str(refused), "error")
        return _back()
    flash(f"Certificate #{certificate.sequence} revoked.", "success")
    return _back()


@bp.post(f"/<int(max={MAX_ID}):certificate_id>/reissue")
@requires_right(Right.MANAGE_CERTIFICATES)
def reissue(certificate_id: int) -> ResponseReturnValue:
    form = ReissueForm()
    if not form.validate_on_submit():
        errors = [error for field_errors in form.errors.values() for error in field_errors]
        flash(" ".join(str(error) for error in errors) or "The form expired: please try again.", "error")
        return _back()
    try:
        new = services.reissue(certificate_id, form.name.data or "", form.reason.data or "", current_user)
    except LookupError:
        abort(404)
    except services.CertificateError as refused:
        flash(str(refused), "error")
        return _back()
    flash(f"Reissued as certificate #{new.sequence}; the old one now shows as superseded.", "success")
    return redirect(url_for("staff_certificates.index", q=new.code))
