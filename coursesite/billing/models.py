from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coursesite.caching import CachedContent
from coursesite.catalog.models import Module
from coursesite.models_base import Model, TimestampMixin, one_of, utcnow

TIER_GRANTS = ("access", "certificate", "seats")


# The name an order is bought in, as typed at checkout (it also names a seat buyer's new organisation).
ORGANISATION_NAME_MAX = 200

class PriceTier(CachedContent, TimestampMixin, Model):
    """What a module sells: amounts are integer cents."""

    __tablename__ = "price_tiers"
    __table_args__ = (
        UniqueConstraint("module_id", "code"),
        CheckConstraint("unit_amount >= 0", name="unit_amount"),
        CheckConstraint("min_quantity >= 1 AND max_quantity >= min_quantity", name="quantity"),
        CheckConstraint("access_days >= 1", name="access_days"),
        one_of("grants", TIER_GRANTS),
    )

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
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    module: Mapped[Module] = relationship()

    @property
    def per_seat(self) -> bool:
        return self.grants == "seats"


ENTITLEMENT_KINDS = ("access", "certificate")
ENTITLEMENT_SOURCES = ("order", "seat", "grant")


class Entitlement(TimestampMixin, Model):
    """A right of one user to one module for a period: purchases, seats and staff grants all end up here.

    Rows are never deleted: a refund or a revoked seat sets ``revoked_at`` (and the windows queued after it move
    earlier); a renewal adds a row that starts where the current coverage ends. ``billing.access`` is the one policy
    that reads and writes them.
    """

    __tablename__ = "entitlements"
    __table_args__ = (
        Index("ix_entitlements_lookup", "user_id", "module_id", "kind"),
        one_of("kind", ENTITLEMENT_KINDS),
        one_of("source", ENTITLEMENT_SOURCES),
        CheckConstraint("valid_until >= valid_from", name="window"),
    )

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


# charged_back: a dispute was lost, the bank took the payment back (and so did we, whatever it bought).
ORDER_STATUSES = ("pending", "paid", "refunded", "partially_refunded", "charged_back", "expired", "failed")
# The parts of a billing address we keep (Stripe's names), in the order a receipt prints them.
ADDRESS_FIELDS = ("line1", "line2", "city", "state", "postal_code", "country")


class Order(TimestampMixin, Model):
    """One Checkout Session's worth of purchase: a tier of a module (and perhaps the certificate add-on).

    Amounts are integer cents. ``amount_*`` start as the list prices we asked Stripe to charge and become what the
    Checkout Session says was actually paid (promotion codes included) when the order is fulfilled.
    """

    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_user_created", "user_id", "created_at"),
        one_of("status", ORDER_STATUSES),
        CheckConstraint("amount_subtotal >= 0 AND amount_discount >= 0 AND amount_total >= 0 "
                        "AND amount_refunded >= 0", name="amounts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random and public: the Checkout Session's client_reference_id and the number printed on receipts.
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    amount_subtotal: Mapped[int] = mapped_column(Integer)
    amount_discount: Mapped[int] = mapped_column(Integer, default=0)
    amount_total: Mapped[int] = mapped_column(Integer)
    amount_refunded: Mapped[int] = mapped_column(Integer, default=0)
    stripe_checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    organisation_name: Mapped[str] = mapped_column(String(ORGANISATION_NAME_MAX), default="")
    billing_name: Mapped[str] = mapped_column(String(200), default="")
    billing_address: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    failure_reason: Mapped[str] = mapped_column(String(300), default="")
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    module: Mapped[Module] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.position", cascade="all, delete-orphan"
    )

    @property
    def amount_kept(self) -> int:
        return self.amount_total - self.amount_refunded

    @property
    def address_lines(self) -> list[str]:
        """The billing address as the lines a receipt prints."""
        address = self.billing_address or {}
        return [address[key] for key in ADDRESS_FIELDS if address.get(key)]


class OrderLine(Model):
    """What one line of an order bought, copied from its tier so later price changes leave old receipts alone."""

    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "position"),
        CheckConstraint("quantity >= 1 AND unit_amount >= 0 AND amount_total >= 0", name="amounts"),
        CheckConstraint("units_refunded >= 0 AND units_refunded <= quantity", name="units_refunded"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("price_tiers.id", ondelete="SET NULL"), index=True)
    tier_code: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    grants: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_amount: Mapped[int] = mapped_column(Integer)
    access_days: Mapped[int] = mapped_column(Integer)
    # What this line actually cost after discounts (from the Checkout Session's line items once paid).
    amount_total: Mapped[int] = mapped_column(Integer)
    # Units (seats, or the one access or certificate) taken back by refunds.
    units_refunded: Mapped[int] = mapped_column(Integer, default=0)

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def units_kept(self) -> int:
        return self.quantity - self.units_refunded

    @property
    def entitlement_ref(self) -> str:
        """``Entitlement.source_ref`` of what this line granted, so a refund finds exactly that."""
        return f"order-line:{self.id}"


class WebhookEvent(Model):
    """A Stripe event we acted on; the unique id makes a redelivered event a no-op."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TestModeSession(Model):
    """The local stand-in for a Stripe Checkout Session when no Stripe keys are set (never in production)."""

    __tablename__ = "test_mode_sessions"
    __test__ = False  # not a pytest test class, despite the name

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_reference: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    payment_status: Mapped[str] = mapped_column(String(20), default="unpaid")
    payment_intent: Mapped[str | None] = mapped_column(String(64), unique=True)
    success_url: Mapped[str] = mapped_column(String(500))
    cancel_url: Mapped[str] = mapped_column(String(500))
    collect_billing_address: Mapped[bool] = mapped_column(Boolean, default=False)
    customer_name: Mapped[str] = mapped_column(String(200), default="")
    customer_address: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    currency: Mapped[str] = mapped_column(String(3))
    # [{"name", "quantity", "amount_total"}, ...] as the checkout was asked for (test mode has no discounts).
    line_items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def amount_total(self) -> int:
        return sum(item["amount_total"] for item in self.line_items)


REMINDER_DAYS_BEFORE = (30, 7)


class RenewalReminder(Model):
    """A renewal reminder sent for one access window; unique, so no window is ever reminded twice."""

    __tablename__ = "renewal_reminders"
    __table_args__ = (UniqueConstraint("user_id", "module_id", "access_ends_at", "days_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    access_ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    days_before: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
