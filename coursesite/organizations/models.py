"""Organisations (institutions and teaching groups), their members, seat licences and the seats on them.

A licence is paid for by one order (``order_id``, unique) or made by staff or the demo loader (``order_id`` empty,
``source`` says which). Seats hold an email address (stored lower-cased, as accounts stores addresses) and, once the
invitation is accepted, the user; access itself is an ``Entitlement`` with ``source="seat"`` in billing.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coursesite.accounts.models import FULL_NAME_MAX, User
from coursesite.catalog.models import Module
from coursesite.models_base import Model, TimestampMixin, one_of, utcnow
from coursesite.text import EMAIL_MAX

ORGANIZATION_KINDS = ("institution", "teaching")
MEMBER_ROLES = ("admin", "instructor")
LICENCE_SOURCES = ("order", "staff", "demo")
SEAT_STATUSES = ("invited", "active", "revoked")
HELD_STATUSES = ("invited", "active")  # statuses that occupy a seat
ORGANIZATION_NAME_MAX = 200


class Organization(TimestampMixin, Model):
    __tablename__ = "organizations"
    __table_args__ = (one_of("kind", ORGANIZATION_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(ORGANIZATION_NAME_MAX))
    kind: Mapped[str] = mapped_column(String(20))

    members: Mapped[list[OrganizationMember]] = relationship(back_populates="organization",
                                                             cascade="all, delete-orphan")
    licences: Mapped[list[SeatLicence]] = relationship(back_populates="organization",
                                                       order_by="SeatLicence.valid_from",
                                                       cascade="all, delete-orphan")

    @property
    def kind_label(self) -> str:
        return "Teaching group" if self.kind == "teaching" else "Institution"

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.kind}>"


class OrganizationMember(TimestampMixin, Model):
    """Who runs an organisation: admins manage seats, instructors follow them."""

    __tablename__ = "organization_members"
    __table_args__ = (
        UniqueConstraint("organization_id", "user_id"),
        one_of("role", MEMBER_ROLES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))

    organization: Mapped[Organization] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class SeatLicence(TimestampMixin, Model):
    """``seats`` seats of one module for a period; a refund lowers ``seats`` (never below the seats kept)."""

    __tablename__ = "seat_licences"
    __table_args__ = (
        CheckConstraint("seats >= 0", name="seats"),
        one_of("source", LICENCE_SOURCES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="RESTRICT"), index=True)
    seats: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The order that paid for it: unique, so fulfilment running twice still makes one licence.
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), unique=True)
    source: Mapped[str] = mapped_column(String(20), default="order")

    organization: Mapped[Organization] = relationship(back_populates="licences")
    module: Mapped[Module] = relationship()
    seat_list: Mapped[list[Seat]] = relationship(back_populates="licence", order_by="Seat.invited_at",
                                                 cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<SeatLicence {self.id} org={self.organization_id} seats={self.seats}>"


class Seat(TimestampMixin, Model):
    """One person's place on a licence: invited by email, active once accepted, revoked by an admin or a refund.

    ``invitation_nonce`` goes into the signed invitation link; a resend or a revocation replaces it, so older links
    stop working. A revoked seat's row is reused when the same address is invited again.
    """

    __tablename__ = "seats"
    __table_args__ = (
        UniqueConstraint("licence_id", "email"),
        one_of("status", SEAT_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("seat_licences.id", ondelete="CASCADE"))
    # Lower-cased like User.email, so one address is one seat however it was typed.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), index=True)
    full_name: Mapped[str] = mapped_column(String(FULL_NAME_MAX), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="invited")
    invitation_nonce: Mapped[str] = mapped_column(String(32))
    invited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    licence: Mapped[SeatLicence] = relationship(back_populates="seat_list")
    user: Mapped[User | None] = relationship()

    @property
    def entitlement_ref(self) -> str:
        """``Entitlement.source_ref`` of the access this seat gives."""
        return f"seat:{self.id}"

    def __repr__(self) -> str:
        return f"<Seat {self.id} licence={self.licence_id} {self.status}>"
