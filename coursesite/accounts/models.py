"""Users, roles, authentication, profile, email tokens and the audit log."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, String, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, ORMExecuteState, Session, mapped_column, relationship, validates

from coursesite.ip_addresses import IP_ADDRESS_MAX, ip_address_or_none
from coursesite.models_base import Model, TimestampMixin, one_of, utcnow
from coursesite.permissions import ROLES
from coursesite.text import EMAIL_MAX

# Field limits, shared by the columns and the forms so a valid form always fits the database (EMAIL_MAX: text.py).
FULL_NAME_MAX = 120
PROFESSION_MAX = 80
LICENCE_NUMBER_MAX = 40
LICENCE_JURISDICTION_MAX = 80
USER_AGENT_MAX = 200


class User(UserMixin, TimestampMixin, Model):
    __tablename__ = "users"
    __table_args__ = (one_of("role", ROLES),)
    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased (see text.normalise_email), so unique means case-insensitively unique.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(FULL_NAME_MAX))
    profession: Mapped[str] = mapped_column(String(PROFESSION_MAX), default="")
    licence_number: Mapped[str] = mapped_column(String(LICENCE_NUMBER_MAX), default="")
    licence_jurisdiction: Mapped[str] = mapped_column(String(LICENCE_JURISDICTION_MAX), default="")
    role: Mapped[str] = mapped_column(String(20), default="learner")
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # An email change waiting for its link to be followed: only the link carrying the latest nonce works, once.
    pending_email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    pending_email_nonce: Mapped[str | None] = mapped_column(String(32))
    # Set when the person deleted their account: the row stays (CE records point at it), the personal data goes.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # The token of the login session (UserSession) this object was loaded through or just started; never stored.
    # accounts.sessions sets it; Flask-Login keeps it in the session and the remember-me cookie (see get_id).
    # __allow_unmapped__ lets declarative pass over this annotated plain attribute instead of refusing it.
    __allow_unmapped__ = True
    login_token: str | None = None

    def get_id(self) -> str:
        """Flask-Login's alternative id: the login session's random token, never the user id itself."""
        if not self.login_token:
            raise RuntimeError(f"{self!r} has no login session: start one with accounts.sessions.start")
        return self.login_token

    def __eq__(self, other: object) -> bool:
        """The same account (UserMixin would compare login sessions)."""
        if not isinstance(other, User):
            return NotImplemented
        return self is other or (self.id is not None and self.id == other.id)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = object.__hash__

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserSession(Model):
    """One login on one device. The browser holds a random token (in the Flask session and the remember-me cookie);
    the row holds its SHA-256, so a database leak yields no usable session. See accounts.sessions."""

    __tablename__ = "user_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Updated at most every LOGIN_SESSION_TOUCH_INTERVAL, not on every request.
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Absolute: no activity extends it.
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_MAX), default="")
    ip_address: Mapped[str | None] = mapped_column(String(IP_ADDRESS_MAX))

    @validates("ip_address")
    def _keep_only_an_address(self, _key: str, value: str | None) -> str | None:
        return ip_address_or_none(value)

    def __repr__(self) -> str:
        return f"<UserSession {self.id} of user {self.user_id}>"


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or remove an audit event."""


class AuditEvent(Model):
    """Who did what to which object, from where and when. Rows are only ever added: the listeners below stop the
    ORM, and database triggers (migration c3f1a9e2b7d4) refuse UPDATE and DELETE from anything else."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    # "<table>:<id>" of the object acted on, e.g. "users:12"; empty when there is none.
    target: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip_address: Mapped[str | None] = mapped_column(String(IP_ADDRESS_MAX))

    actor: Mapped[User | None] = relationship(lazy="raise")

    @validates("ip_address")
    def _keep_only_an_address(self, _key: str, value: str | None) -> str | None:
        return ip_address_or_none(value)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action} {self.target}>"


@event.listens_for(AuditEvent, "before_update")
def refuse_audit_update(_mapper: Mapper[AuditEvent], _connection: Connection, target: AuditEvent) -> None:
    raise AppendOnlyError(f"audit events are append-only: cannot update {target!r}")


@event.listens_for(AuditEvent, "before_delete")
def refuse_audit_delete(_mapper: Mapper[AuditEvent], _connection: Connection, target: AuditEvent) -> None:
    raise AppendOnlyError(f"audit events are append-only: cannot delete {target!r}")


@event.listens_for(Session, "do_orm_execute")
def refuse_bulk_audit_changes(state: ORMExecuteState) -> None:
    """``update(AuditEvent)`` and ``delete(AuditEvent)`` bypass the mapper events above, so stop them here."""
    if (state.is_update or state.is_delete) and state.is_orm_statement and state.bind_mapper is AuditEvent.__mapper__:
        raise AppendOnlyError("audit events are append-only: no bulk update or delete")
