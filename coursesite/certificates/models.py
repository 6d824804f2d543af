"""Certificates: an immutable snapshot per issued certificate, hash-chained; the chain's head; reflection notes.

A ``Certificate`` row is written once, when the certificate is issued, and what it certifies never changes after:
``snapshot`` holds everything the PDF and the verification page show (the participant's name as it was on the
account, the module title, CE hours, sponsor, approval statements...), so the module, its hours or the learner's name
changing later changes nothing. ``snapshot_hash`` is a SHA-256 over the canonical record (code, sequence, issue time,
snapshot) chained to the previous certificate's hash (``previous_hash``); the one-row ``CertificateChainHead`` is
locked while a certificate is appended, so concurrent issues never fork the chain (see certificates/chain.py).

Only the status may change afterwards: revoked (``revoked_at``, ``revoked_reason``, ``revoked_by_id``) or superseded
by a reissue (``superseded_by_id``). The listeners below refuse, through the ORM, any change to the certified fields,
any deletion, and any bulk ``update(Certificate)``/``delete(Certificate)``; a change made behind the ORM's back
(straight SQL) is what ``flask certificates verify-chain`` finds.

The person and the module are ``SET NULL`` foreign keys: the snapshot outlives both (a CE sponsor keeps certificate
records at least seven years, and account deletion keeps them, see certificates/personal_data.py).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, event, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, ORMExecuteState, Session, mapped_column, relationship

from coursesite.models_base import Model, utcnow

CODE_MAX = 64
HASH_LENGTH = 64  # hex SHA-256
GENESIS_HASH = "0" * HASH_LENGTH  # the "previous hash" of the first certificate
CHAIN_HEAD_ID = 1
REFLECTION_MAX = 5000

# What an issued certificate certifies: never changed once written.
CERTIFIED_FIELDS = ("code", "snapshot", "snapshot_hash", "previous_hash", "sequence", "issued_at")


class ImmutableCertificateError(RuntimeError):
    """Raised when code tries to change what an issued certificate certifies."""


class Certificate(Model):
    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id", ondelete="SET NULL"), index=True)
    # The passed attempt the certificate was issued for (assessment's attempts; a plain id: issuing twice for one
    # attempt returns the live certificate, see certificates/services.py).
    attempt_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # The public verification code: 256 random bits, URL-safe (secrets.token_urlsafe(32), 43 characters).
    code: Mapped[str] = mapped_column(String(CODE_MAX), unique=True)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    snapshot_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    previous_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    sequence: Mapped[int] = mapped_column(Integer, unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str] = mapped_column(Text, default="")
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id", ondelete="SET NULL"))

    superseded_by: Mapped[Certificate | None] = relationship(remote_side="Certificate.id", lazy="raise")
    reflection: Mapped[ReflectionNote | None] = relationship(back_populates="certificate", lazy="raise",
                                                             cascade="all, delete-orphan", passive_deletes=True)

    @property
    def status(self) -> str:
        """``valid``, ``revoked`` or ``superseded`` (a reissue replaced it)."""
        if self.superseded_by_id is not None:
            return "superseded"
        if self.revoked_at is not None:
            return "revoked"
        return "valid"

    def __repr__(self) -> str:
        return f"<Certificate {self.id} #{self.sequence}>"


@event.listens_for(Certificate, "before_update")
def refuse_certified_changes(_mapper: Mapper[Certificate], _connection: Connection, target: Certificate) -> None:
    state = inspect(target)
    changed = [name for name in CERTIFIED_FIELDS if state.attrs[name].history.has_changes()]
    if changed:
        raise ImmutableCertificateError(f"an issued certificate cannot change: {', '.join(changed)} of {target!r}")


@event.listens_for(Certificate, "before_delete")
def refuse_certificate_delete(_mapper: Mapper[Certificate], _connection: Connection, target: Certificate) -> None:
    """An issued certificate is the sponsor's record and a link of the chain: it is revoked, never deleted."""
    raise ImmutableCertificateError(f"an issued certificate cannot be deleted (revoke it): {target!r}")


@event.listens_for(Session, "do_orm_execute")
def refuse_bulk_certificate_changes(state: ORMExecuteState) -> None:
    """``update(Certificate)`` and ``delete(Certificate)`` bypass the mapper events above, so stop them here: the
    status changes (revoke, supersede) go through loaded objects, which the events check."""
    if (state.is_update or state.is_delete) and state.is_orm_statement \
            and state.bind_mapper is Certificate.__mapper__:
        raise ImmutableCertificateError("issued certificates cannot be changed or deleted in bulk")


class CertificateChainHead(Model):
    """One row (id 1): the newest certificate's sequence and hash. Locked while a certificate is appended."""

    __tablename__ = "certificate_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), default=GENESIS_HASH)


class ReflectionNote(Model):
    """The learner's own note on what they took from a module (UK HCPC/BPS CPD records ask for one); in the
    transcript PDF. Personal: account deletion removes it."""

    __tablename__ = "certificate_reflections"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id", ondelete="CASCADE"), unique=True)
    text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    certificate: Mapped[Certificate] = relationship(back_populates="reflection")
