"""Certificate pages: the learner's certificates and CE transcript (``/certificates``), their PDFs, reflection notes,
and the public verification page and form (no login)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from coursesite import mail
from coursesite.certificates import pdf, services
from coursesite.certificates.forms import ReflectionForm, VerifyForm, code_from
from coursesite.extensions import limiter
from coursesite.models_base import utcnow
from coursesite.permissions import login_required, public

bp = Blueprint("certificates", __name__, url_prefix="/certificates")

# Codes are 256 random bits: guessing is hopeless, but a crawler walking codes is still held back. One budget for
# the page and the form, so alternating between them does not double it.
VERIFY_LIMIT = "30/minute;300/hour"
verify_limit = limiter.shared_limit(VERIFY_LIMIT, scope="certificate-verification")


def _paper() -> str:
    paper = request.args.get("paper", pdf.DEFAULT_PAPER)
    if paper not in pdf.PAPERS:
        abort(404)
    return paper


def _pdf_response(document: bytes, filename: str) -> Response:
    return Response(document, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("")
@login_required
def mine() -> ResponseReturnValue:
    certificates = services.certificates_of(current_user.id)
    forms = {row.code: ReflectionForm(prefix=f"r{row.id}", text=row.reflection.text if row.reflection else "")
             for row in certificates}
    return render_template("certificates/mine.html", certificates=certificates, forms=forms,
                           transcript=services.transcript(current_user, certificates),
                           format_hours=services.format_hours)


@bp.post("/<code>/reflection")
@login_required
def save_reflection(code: str) -> ResponseReturnValue:
    certificate = services.own_certificate(current_user, code)
    if certificate is None:
        abort(404)
    form = ReflectionForm(prefix=f"r{certificate.id}")
    if not form.validate_on_submit():
        flash(" ".join(form.text.errors) or "The form expired: please try again.", "error")
        return redirect(url_for("certificates.mine", _anchor=f"certificate-{certificate.id}"))
    try:
        services.save_reflection(certificate, form.text.data or "")
    except services.CertificateError as refused:
        flash(str(refused), "error")
    else:
        flash("Reflection note saved.", "success")
    return redirect(url_for("certificates.mine", _anchor=f"certificate-{certificate.id}"))


@bp.get("/<code>/certificate.pdf")
@login_required
def download(code: str) -> ResponseReturnValue:
    """The learner's own valid certificate (others', and revoked or superseded ones: 404)."""
    certificate = services.own_certificate(current_user, code)
    if certificate is None or certificate.status != "valid":
        abort(404)
    paper = _paper()
    document = pdf.certificate_pdf(certificate.snapshot, certificate.code, certificate.issued_at,
                                   mail.link("certificates.verify", code=certificate.code), paper)
    return _pdf_response(document, f"ce-certificate-{certificate.code[:8]}-{paper}.pdf")


@bp.get("/transcript.pdf")
@login_required
def transcript_pdf() -> ResponseReturnValue:
    transcript = services.transcript(current_user)
    licence = ", ".join(part for part in (transcript.licence_number, transcript.licence_jurisdiction) if part)
    rows = [pdf.TranscriptRow(entry.completed_on, entry.module_title, entry.ce_hours, entry.status, entry.code,
                              entry.reflection) for entry in transcript.entries]
    paper = _paper()
    document = pdf.render_transcript(transcript.participant, licence, rows, transcript.hours_by_year,
                                     utcnow().replace(microsecond=0), paper)
    return _pdf_response(document, f"ce-transcript-{paper}.pdf")


@bp.get("/verify")
@public
@verify_limit
def verify_form() -> ResponseReturnValue:
    """Type (or paste) a code; a valid-looking one goes to its verification page."""
    form = VerifyForm(request.args)
    if "code" in request.args and form.validate():
        code = code_from(form.code.data or "")
        if code:
            return redirect(url_for("certificates.verify", code=code))
        form.code.errors = ["Enter the code printed on the certificate."]
    status = 422 if form.errors else 200
    return render_template("certificates/verify_form.html", form=form), status


@bp.get("/verify/<code>")
@public
@verify_limit
def verify(code: str) -> ResponseReturnValue:
    found = services.verification(code)
    if found is None:
        return render_template("certificates/verify_unknown.html", form=VerifyForm()), 404
    return render_template("certificates/verify.html", certificate=found, format_hours=services.format_hours)
