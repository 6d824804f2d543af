"""Issuing certificates, reading them back (the learner's list and CE transcript, public verification, the
organisation dashboard), reflection notes, and the staff's revocation and reissue.

A certificate is issued the moment the course evaluation is saved (certificates/hooks.py hears assessment's
``evaluation_saved``), in the evaluation's transaction. What it certifies is frozen then in ``snapshot``
(``build_snapshot``): nothing read later comes from the account or the module.
"""
from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from coursesite import mail
from coursesite.accounts.audit import record
from coursesite.accounts.models import FULL_NAME_MAX, User
from coursesite.catalog.models import CERTIFICATE_FORMAT, Module
from coursesite.certificates import chain
from coursesite.certificates.models import CODE_MAX, REFLECTION_MAX, Certificate, ReflectionNote
from coursesite.extensions import db
from coursesite.models_base import as_utc, utcnow
from coursesite.text import clean_text

SNAPSHOT_VERSION = 1
CODE_BYTES = 32  # 256 random bits; secrets.token_urlsafe gives 43 URL-safe characters
STAFF_PAGE_SIZE = 50
REASON_MAX = 500


class CertificateError(ValueError):
    """A staff action or a learner's change that cannot be done, with the reason to show."""


def format_hours(hours: float) -> str:
    """CE hours as people write them: ``1.5``, ``3`` (never ``3.0``)."""
    return f"{hours:.2f}".rstrip("0").rstrip(".")


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


# Issuing --------------------------------------------------------------------------------------------------------------

def build_snapshot(user: User, module: Module, completed_on: date) -> dict[str, Any]:
    """Everything a certificate shows, as plain JSON data: the participant as on the account now, the module and its
    CE hours, the format, the sponsor block and each approving body's statement word for word."""
    approvals = [
        {"body": approval.body, "body_name": approval.body_name, "statement": approval.statement,
         "provider_number": approval.provider_number, "approval_period": approval.approval_period,
         "credits": approval.credits}
        for approval in module.approvals
    ]
    if not approvals and module.approval_statement:
        approvals = [{"body": "", "body_name": "", "statement": module.approval_statement, "provider_number": "",
                      "approval_period": "", "credits": module.ce_hours}]
    return {
        "version": SNAPSHOT_VERSION,
        "participant": {"name": user.full_name, "licence_number": user.licence_number,
                        "licence_jurisdiction": user.licence_jurisdiction},
        "module": {"title": module.title, "slug": module.slug},
        "ce_hours": module.ce_hours,
        "completed_on": completed_on.isoformat(),
        "format": CERTIFICATE_FORMAT,
        "sponsor": {"name": module.sponsor_name, "contact": module.sponsor_contact,
                    "signatory_name": module.signatory_name, "signatory_title": module.signatory_title},
        "approvals": approvals,
    }


def _issued_now() -> datetime:
    """Whole seconds, so the time hashed is the time every database hands back."""
    return utcnow().replace(microsecond=0)


def issue_certificate(user_id: int, module_id: int, attempt_id: int | None) -> Certificate:
    """Issue the certificate for a passed (and evaluated) attempt, in the caller's transaction (no commit), and queue
    the mail with its link. Issuing again for the same attempt returns the certificate already issued."""
    if attempt_id is not None:
        existing = db.session.scalar(select(Certificate).where(
            Certificate.attempt_id == attempt_id, Certificate.user_id == user_id,
            Certificate.superseded_by_id.is_(None)).order_by(Certificate.sequence.desc()).limit(1))
        if existing is not None:
            return existing
    user = db.session.get(User, user_id)
    module = db.session.scalar(select(Module).where(Module.id == module_id).options(selectinload(Module.approvals)))
    if user is None or module is None:
        raise CertificateError("No such learner or module.")
    issued_at = _issued_now()
    certificate = Certificate(user_id=user_id, module_id=module_id, attempt_id=attempt_id, code=new_code(),
                              snapshot=build_snapshot(user, module, issued_at.date()), issued_at=issued_at)
    chain.append(certificate)
    mail.send(mail.recipient(user.full_name, user.email), f"Your CE certificate: {module.title}",
              "certificate_issued", user=user, title=module.title, hours=format_hours(module.ce_hours),
              certificate_url=mail.link("certificates.mine"),
              verify_url=mail.link("certificates.verify", code=certificate.code))
    return certificate


# Reading --------------------------------------------------------------------------------------------------------------

def certificates_of(user_id: int) -> list[Certificate]:
    """The person's certificates, newest first, each with its reflection note loaded."""
    return list(db.session.scalars(
        select(Certificate).where(Certificate.user_id == user_id)
        .options(selectinload(Certificate.reflection), selectinload(Certificate.superseded_by))
        .order_by(Certificate.issued_at.desc(), Certificate.sequence.desc())))


def certificates_for_users(user_ids: list[int], module_id: int) -> dict[int, Certificate]:
    """Each person's current certificate for the module (the newest not superseded; it may be revoked: see its
    ``status``), one query, for the organisation dashboard and sponsor records."""
    if not user_ids:
        return {}
    current: dict[int, Certificate] = {}
    rows = db.session.scalars(
        select(Certificate).where(Certificate.user_id.in_(user_ids), Certificate.module_id == module_id,
                                  Certificate.superseded_by_id.is_(None))
        .order_by(Certificate.sequence))
    for certificate in rows:
        if certificate.user_id is not None:
            current[certificate.user_id] = certificate
    return current


def certificate_by_code(code: str) -> Certificate | None:
    if not code or len(code) > CODE_MAX:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def own_certificate(user: User, code: str) -> Certificate | None:
    """The certificate with this code if it is the person's own, else None (the view answers 404)."""
    certificate = certificate_by_code(code)
    return certificate if certificate is not None and certificate.user_id == user.id else None


@dataclass(frozen=True)
class Verification:
    """What the public verification page shows: the status and the certificate's public facts, nothing else."""

    code: str
    status: str  # valid | revoked | superseded
    holder: str
    module_title: str
    ce_hours: float | None  # None (and the texts "—") when the stored record no longer has the snapshot's shape
    completed_on: str
    sponsor: str
    revoked_on: str | None
    superseded_by_code: str | None
    intact: bool


UNREADABLE = "—"


def _public_facts(snapshot: Any) -> tuple[str, str, float | None, str, str]:
    """Holder, programme, CE hours, date and sponsor from a snapshot; dashes for a record altered into another shape
    in the database (its chain check fails too, and the page says the record is not intact)."""
    try:
        return (str(snapshot["participant"]["name"]), str(snapshot["module"]["title"]), float(snapshot["ce_hours"]),
                str(snapshot["completed_on"]), str(snapshot["sponsor"]["name"]))
    except (KeyError, TypeError, ValueError):
        return (UNREADABLE, UNREADABLE, None, UNREADABLE, UNREADABLE)


def verification(code: str) -> Verification | None:
    certificate = certificate_by_code(code)
    if certificate is None:
        return None
    holder, module_title, ce_hours, completed_on, sponsor = _public_facts(certificate.snapshot)
    newer = None
    if certificate.superseded_by_id is not None:
        newer = db.session.scalar(select(Certificate.code).where(Certificate.id == certificate.superseded_by_id))
    return Verification(
        code=certificate.code, status=certificate.status, holder=holder, module_title=module_title,
        ce_hours=ce_hours, completed_on=completed_on, sponsor=sponsor,
        revoked_on=as_utc(certificate.revoked_at).date().isoformat() if certificate.revoked_at else None,
        superseded_by_code=newer, intact=ce_hours is not None and chain.record_intact(certificate))


# The CE transcript ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TranscriptEntry:
    code: str
    module_title: str
    ce_hours: float
    completed_on: str
    status: str
    reflection: str


@dataclass(frozen=True)
class Transcript:
    participant: str
    licence_number: str
    licence_jurisdiction: str
    entries: list[TranscriptEntry]
    hours_by_year: dict[int, float] = field(default_factory=dict)

    @property
    def total_hours(self) -> float:
        return round(sum(self.hours_by_year.values()), 2)


def transcript(user: User, certificates: list[Certificate] | None = None) -> Transcript:
    """The person's certificates, oldest first, and the CE hours per year completed, counting valid certificates
    only (a revoked one earns nothing, a superseded one is counted through its reissue)."""
    rows = certificates if certificates is not None else certificates_of(user.id)
    entries = sorted(
        (TranscriptEntry(code=row.code, module_title=row.snapshot["module"]["title"],
                         ce_hours=row.snapshot["ce_hours"], completed_on=row.snapshot["completed_on"],
                         status=row.status, reflection=row.reflection.text if row.reflection else "")
         for row in rows),
        key=lambda entry: (entry.completed_on, entry.code))
    hours: defaultdict[int, float] = defaultdict(float)
    for entry in entries:
        if entry.status == "valid":
            hours[int(entry.completed_on[:4])] += entry.ce_hours
    return Transcript(participant=user.full_name, licence_number=user.licence_number,
                      licence_jurisdiction=user.licence_jurisdiction, entries=entries,
                      hours_by_year={year: round(total, 2) for year, total in sorted(hours.items())})


def save_reflection(certificate: Certificate, text: str) -> None:
    """Set (or, with blank text, remove) the certificate's reflection note, and commit."""
    text = text.strip()
    if len(text) > REFLECTION_MAX:
        raise CertificateError(f"A reflection note can be at most {REFLECTION_MAX} characters long.")
    note = db.session.scalar(select(ReflectionNote).where(ReflectionNote.certificate_id == certificate.id))
    if not text:
        if note is not None:
            db.session.delete(note)
    elif note is None:
        db.session.add(ReflectionNote(certificate_id=certificate.id, text=text))
    else:
        note.text = text
    db.session.commit()


# Staff ----------------------------------------------------------------------------------------------------------------

def staff_search(query: str, page: int) -> Pagination:
    """Certificates newest first, filtered by ``query``: a code, or part of the holder's name or email, or of the
    module's title."""
    statement = select(Certificate).outerjoin(User, Certificate.user_id == User.id) \
        .outerjoin(Module, Certificate.module_id == Module.id)
    query = query.strip()
    if query:
        pattern = query.lower()
        statement = statement.where(or_(
            Certificate.code == query,
            func.lower(User.full_name).contains(pattern, autoescape=True),
            func.lower(User.email).contains(pattern, autoescape=True),
            func.lower(Module.title).contains(pattern, autoescape=True),
        ))
    statement = statement.order_by(Certificate.sequence.desc())
    return db.paginate(statement, page=page, per_page=STAFF_PAGE_SIZE, error_out=False, count=True)


def _staff_certificate(certificate_id: int) -> Certificate:
    # Locked and read afresh: two staff members acting at once take turns, and the second sees the first's change.
    certificate = db.session.get(Certificate, certificate_id, with_for_update=True, populate_existing=True)
    if certificate is None:
        raise LookupError(certificate_id)
    return certificate


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise CertificateError("Give a reason.")
    if len(reason) > REASON_MAX:
        raise CertificateError(f"The reason can be at most {REASON_MAX} characters long.")
    return reason


def revoke(certificate_id: int, reason: str, actor: User) -> Certificate:
    """Revoke a valid certificate with a reason (kept for staff; the public page shows only the date), audited,
    committed. ``LookupError`` for an unknown id."""
    reason = _reason(reason)
    certificate = _staff_certificate(certificate_id)
    if certificate.status != "valid":
        raise CertificateError(f"This certificate is already {certificate.status}.")
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = reason
    certificate.revoked_by_id = actor.id
    record(actor, "certificate.revoked", certificate, reason=reason)
    db.session.commit()
    return certificate


def reissue(certificate_id: int, name: str, reason: str, actor: User) -> Certificate:
    """A new certificate (new code, next in the chain) for the same completion with the participant's name
    corrected; the old one is marked superseded and links to it. Audited, committed."""
    reason = _reason(reason)
    name = clean_text(name)
    if not name or len(name) > FULL_NAME_MAX:
        raise CertificateError(f"Give the corrected name (at most {FULL_NAME_MAX} characters).")
    old = _staff_certificate(certificate_id)
    if old.status != "valid":
        raise CertificateError(f"Only a valid certificate can be reissued; this one is {old.status}.")
    snapshot = {**old.snapshot, "participant": {**old.snapshot["participant"], "name": name}}
    new = Certificate(user_id=old.user_id, module_id=old.module_id, attempt_id=old.attempt_id, code=new_code(),
                      snapshot=snapshot, issued_at=_issued_now())
    chain.append(new)
    old.superseded_by_id = new.id
    record(actor, "certificate.reissued", old, new_certificate=f"certificates:{new.id}", reason=reason)
    db.session.commit()
    return new


def holder_emails(certificates: list[Certificate]) -> dict[int, str]:
    """Account emails of the certificates' holders (for the staff list), one query."""
    user_ids = {row.user_id for row in certificates if row.user_id is not None}
    if not user_ids:
        return {}
    return {row.id: row.email for row in db.session.execute(select(User.id, User.email).where(User.id.in_(user_ids)))}
