"""Certificates in a person's data download, and what account deletion does to them.

Deletion keeps every certificate (the snapshot, with the name as issued, and its public verification): a CE sponsor
must keep certificate records at least seven years and boards verify them long after. The reflection notes are the
learner's own writing, not the sponsor's record: deletion removes them.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from coursesite.accounts.models import User
from coursesite.accounts.personal_data import AccountDataPart, iso
from coursesite.certificates.models import Certificate, ReflectionNote
from coursesite.certificates.services import certificates_of
from coursesite.extensions import db


def export_certificates(user: User) -> list[dict[str, Any]]:
    return [
        {"code": row.code, "status": row.status, "issued_at": iso(row.issued_at), "revoked_at": iso(row.revoked_at),
         "snapshot": row.snapshot, "reflection": row.reflection.text if row.reflection else None}
        for row in certificates_of(user.id)
    ]


def erase_reflections(user: User) -> None:
    mine = select(Certificate.id).where(Certificate.user_id == user.id)
    db.session.execute(delete(ReflectionNote).where(ReflectionNote.certificate_id.in_(mine)))


CERTIFICATES_DATA = AccountDataPart("certificates", export=export_certificates, erase=erase_reflections)
