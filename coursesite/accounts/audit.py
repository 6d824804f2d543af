"""The audit log: ``record`` for every package, and the query behind the staff page.

Actions are named ``<package>.<verb>`` (``account.login``, ``account.role_changed``, later ``catalog.published``...).
Details should say what changed without copying personal data that deletion must remove (no names, no emails).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, String, cast, literal, select, update
from sqlalchemy.orm import joinedload

from coursesite.accounts.models import AuditEvent, User
from coursesite.extensions import db
from coursesite.ip_addresses import request_ip_address
from coursesite.models_base import rows_matched

AUDIT_PAGE_SIZE = 50
# Deeper pages are refused (an offset that large is no way to read a log: filter instead); it also keeps the offset
# far from what PostgreSQL's bigint can hold.
AUDIT_MAX_PAGE = 10_000


class AuditTarget(Protocol):
    """A row the log can name: its table and its id (None until the session is flushed)."""

    __tablename__: str

    @property
    def id(self) -> int | None: ...


def target_label(target: AuditTarget | str | None) -> str:
    """``"users:12"`` for a model instance, the string itself for a string, "" for None."""
    if target is None:
        return ""
    if isinstance(target, str):
        return target[:200]
    if target.id is None:
        db.session.flush()
    return f"{target.__tablename__}:{target.id}"


def record(actor: User | None, action: str, target: AuditTarget | str | None = None, **details: Any) -> AuditEvent:
    """Add an audit event to the session; it is saved by the caller's commit, with the change it describes."""
    event = AuditEvent(
        actor=actor if isinstance(actor, User) else None,
        action=action,
        target=target_label(target),
        details=details,
        # The one fact about the transport an entry keeps, read here to spare every service an argument it would
        # only pass along.
        ip_address=request_ip_address(),
    )
    db.session.add(event)
    return event


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    actor: str = ""
    date_from: date | None = None
    date_to: date | None = None
    # A user id ("12"), a user's email as stored ("ada@example.org") or a target label ("modules:7").
    target: str = ""


def _target_condition(target: str) -> ColumnElement[bool]:
    target = target.strip()
    if target.isascii() and target.isdigit():  # not "²" or "①", which isdigit() also accepts
        return AuditEvent.target == f"users:{int(target)}"
    if "@" in target:  # already as stored: the staff page's filters pass it through addresses.stored_form
        user_id = select(User.id).where(User.email == target).scalar_subquery()
        return AuditEvent.target == literal("users:") + cast(user_id, String)
    return AuditEvent.target == target


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def audit_events(filters: AuditFilters, page: int) -> Pagination:
    """Newest first, ``AUDIT_PAGE_SIZE`` a page, with each event's actor loaded in the same query."""
    query = select(AuditEvent).options(joinedload(AuditEvent.actor))
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.actor:
        query = query.join(AuditEvent.actor).where(User.email.contains(filters.actor.strip().lower(), autoescape=True))
    if filters.target:
        query = query.where(_target_condition(filters.target))
    if filters.date_from:
        query = query.where(AuditEvent.at >= _start_of(filters.date_from))
    if filters.date_to:
        query = query.where(AuditEvent.at < _start_of(filters.date_to + timedelta(days=1)))
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    return db.paginate(query, page=page, per_page=AUDIT_PAGE_SIZE, error_out=False, count=True)


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def events_about(user: User) -> list[AuditEvent]:
    """What the log says this person did or what was done to their account, oldest first (for their data export)."""
    return list(db.session.scalars(
        select(AuditEvent)
        .where((AuditEvent.actor_id == user.id) | (AuditEvent.target == target_label(user)))
        .order_by(AuditEvent.at, AuditEvent.id)
    ))


def forget_old_addresses(now: datetime, days: int) -> int:
    """Blank the client address of events older than ``days`` (``AUDIT_IP_RETENTION_DAYS``); the events stay.

    The one change the append-only log allows: a Core UPDATE of the ``audit_events`` table (the ORM refuses any,
    see accounts/models.py), which the database's triggers let through because it only sets ``ip_address`` to NULL
    (migration d81e6f3a0c52). Run daily by the job queue (accounts/tasks.py).
    """
    table = AuditEvent.__table__
    result = db.session.execute(update(table).where(table.c.at < now - timedelta(days=days),
                                                    table.c.ip_address.is_not(None)).values(ip_address=None))
    db.session.commit()
    return rows_matched(result)
