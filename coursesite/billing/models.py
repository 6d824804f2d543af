from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coursesite.catalog.models import Module
from coursesite.extensions import db
from coursesite.models_base import TimestampMixin

TIER_GRANTS = ("access", "certificate", "seats")


class PriceTier(TimestampMixin, db.Model):
    """What a module sells: amounts are integer cents."""

    __tablename__ = "price_tiers"
    __table_args__ = (UniqueConstraint("module_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(30))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(80))
    audience: Mapped[str] = mapped_column(String(200))
    unit_amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    min_quantity: Mapped[int] = mapped_column(Integer, default=1)
    max_quantity: Mapped[int] = mapped_column(Integer, default=1)
    access_days: Mapped[int] = mapped_column(Integer, default=365)
    grants: Mapped[str] = mapped_column(String(20), default="access")
    includes_certificate: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    module: Mapped[Module] = relationship()

    @property
    def per_seat(self) -> bool:
        return self.grants == "seats"


ENTITLEMENT_KINDS = ("access", "certificate")
ENTITLEMENT_SOURCES = ("order", "seat", "grant")


class Entitlement(TimestampMixin, db.Model):
    """A right of one user to one module for a period: purchases, seats and staff grants all end up here.

    Rows are never deleted: a refund or a revoked seat sets ``revoked_at``; a renewal adds a row that starts where the
    current one ends. ``billing.access`` is the one policy that reads them.
    """

    __tablename__ = "entitlements"
    __table_args__ = (Index("ix_entitlements_lookup", "user_id", "module_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(20))
    source_ref: Mapped[str] = mapped_column(String(80), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str] = mapped_column(String(200), default="")

    module: Mapped[Module] = relationship()
