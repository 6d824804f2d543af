"""Users, roles, authentication, profile, email tokens and the audit log."""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, String, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, relationship

from coursesite.extensions import db
from coursesite.models_base import TimestampMixin, utcnow

ROLES = ("learner", "editor", "moderator", "admin")
STAFF_ROLES = ("editor", "moderator", "admin")

# Field limits, shared by the columns and the forms so a valid form always fits the database.
EMAIL_MAX = 254
FULL_NAME_MAX = 120
PROFESSION_MAX = 80
LICENCE_NUMBER_MAX = 40
LICENCE_JURISDICTION_MAX = 80


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased (see accounts.services.normalise_email), so unique means case-insensitively unique.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(FULL_NAME_MAX))
    profession: Mapped[str] = mapped_column(String(PROFESSION_MAX), default="")
    licence_number: Mapped[str] = mapped_column(String(LICENCE_NUMBER_MAX), default="")
    licence_jurisdiction: Mapped[str] = mapped_column(String(LICENCE_JURISDICTION_MAX), default="")
    role: Mapped[str] = mapped_column(String(20), default="learner")
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Part of the login session's user id (see get_id): replacing it ends every session and remember-me cookie.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    # Set when the person deleted their account: the row stays (CE records point at it), the personal data goes.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def get_id(self) -> str:
        """Flask-Login's alternative token: the session and the remember-me cookie hold id and session token."""
        return f"{self.id}:{self.session_token}"

    def end_all_sessions(self) -> None:
        self.session_token = new_session_token()

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def has_role(self, *roles: str) -> bool:
        """Admins may do whatever any other role may; every other role has exactly its own rights."""
        return self.role == "admin" or self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or remove an audit event."""


class AuditEvent(db.Model):
    """Who did what to which object, from where and when. Rows are only ever added (see the listeners below)."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    # "<table>:<id>" of the object acted on, e.g. "users:12"; empty when there is none.
    target: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip_address: Mapped[str | None] = mapped_column(String(45))

    actor: Mapped[User | None] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action} {self.target}>"


@event.listens_for(AuditEvent, "before_update")
def refuse_audit_update(_mapper, _connection, target: AuditEvent) -> None:
    raise AppendOnlyError(f"audit events are append-only: cannot update {target!r}")


@event.listens_for(AuditEvent, "before_delete")
def refuse_audit_delete(_mapper, _connection, target: AuditEvent) -> None:
    raise AppendOnlyError(f"audit events are append-only: cannot delete {target!r}")


@event.listens_for(Session, "do_orm_execute")
def refuse_bulk_audit_changes(state: ORMExecuteState) -> None:
    """``update(AuditEvent)`` and ``delete(AuditEvent)`` bypass the mapper events above, so stop them here."""
    if (state.is_update or state.is_delete) and state.is_orm_statement and state.bind_mapper is AuditEvent.__mapper__:
        raise AppendOnlyError("audit events are append-only: no bulk update or delete")
