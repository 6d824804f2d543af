"""The one access policy: every gated page, media file, test and forum asks these functions.

Purchases, seats and staff grants all become :class:`Entitlement` rows; editors and admins may see every module so
they can check the catalogue they run.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from coursesite.billing.models import Entitlement
from coursesite.extensions import db
from coursesite.models_base import utcnow

STAFF_ROLES_WITH_FULL_ACCESS = ("editor", "admin")


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every datetime we store is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _active(user_id: int, module_id: int, kind: str, at: datetime):
    return select(Entitlement).where(
        Entitlement.user_id == user_id,
        Entitlement.module_id == module_id,
        Entitlement.kind == kind,
        Entitlement.revoked_at.is_(None),
        Entitlement.valid_from <= at,
        Entitlement.valid_until > at,
    )


def has_entitlement(user, module_id: int, kind: str = "access", at: datetime | None = None) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "role", None) in STAFF_ROLES_WITH_FULL_ACCESS:
        return True
    query = _active(user.id, module_id, kind, at or utcnow()).limit(1)
    return db.session.scalar(query) is not None


def has_access(user, module_id: int, at: datetime | None = None) -> bool:
    """May ``user`` use module ``module_id`` (lectures, media, guides, forum) at ``at`` (default: now)?"""
    return has_entitlement(user, module_id, "access", at)


def can_watch(user, lecture) -> bool:
    """Free preview lectures are open to everyone; the rest need access to their module."""
    return lecture.preview or has_access(user, lecture.module_id)


def access_ends(user_id: int, module_id: int, kind: str = "access") -> datetime | None:
    """The end of the user's unrevoked entitlements of ``kind`` (the latest, including renewals not yet started)."""
    latest = db.session.scalar(
        select(func.max(Entitlement.valid_until)).where(
            Entitlement.user_id == user_id, Entitlement.module_id == module_id, Entitlement.kind == kind,
            Entitlement.revoked_at.is_(None),
        )
    )
    return as_utc(latest) if latest else None


def grant_entitlement(user_id: int, module_id: int, *, kind: str, days: int, source: str, source_ref: str = "",
                      now: datetime | None = None) -> Entitlement:
    """Add ``days`` of ``kind`` for the user, starting now or, when still covered, where current coverage ends."""
    now = now or utcnow()
    current_end = access_ends(user_id, module_id, kind)
    start = current_end if current_end and current_end > now else now
    entitlement = Entitlement(user_id=user_id, module_id=module_id, kind=kind, valid_from=start,
                              valid_until=start + timedelta(days=days), source=source, source_ref=source_ref)
    db.session.add(entitlement)
    return entitlement


def revoke_entitlement(entitlement: Entitlement, reason: str, now: datetime | None = None) -> None:
    if entitlement.revoked_at is None:
        entitlement.revoked_at = now or utcnow()
        entitlement.revoked_reason = reason[:200]
