"""Receivers of billing's seat hooks (coursesite/billing/hooks.py), connected once by ``create_app``.

They run inside fulfilment's (or the refund's) transaction: they add rows and never commit, so a licence exists
exactly when its order is recorded as paid, and a refund's seats are taken back with it.
"""
from __future__ import annotations

from sqlalchemy import select

from coursesite.accounts.audit import record
from coursesite.accounts.models import User
from coursesite.billing.hooks import seat_order_paid, seat_order_refunded
from coursesite.billing.models import Order, OrderLine
from coursesite.extensions import db
from coursesite.models_base import as_utc, utcnow
from coursesite.organizations.models import ORGANIZATION_NAME_MAX, Organization, OrganizationMember, SeatLicence
from coursesite.organizations.services import create_licence, shrink_licence
from coursesite.text import clean_text


def kind_for(line: OrderLine) -> str:
    return "teaching" if line.tier_code == "teaching" else "institution"


def default_name(buyer: User, kind: str) -> str:
    owner = buyer.full_name or "Your"
    suffix = "teaching group" if kind == "teaching" else "institution"
    return f"{owner}'s {suffix}"[:ORGANIZATION_NAME_MAX]


def same_name(name: str) -> str:
    """How two organisation names are compared: NFC, whitespace folded, case ignored."""
    return clean_text(name).casefold()


def _organization_for(order: Order, buyer: User, kind: str) -> Organization:
    """The organisation named at checkout: one of this kind the buyer administers with that name (the oldest, if
    several), else a new one with the buyer as admin. A buyer may run several organisations of a kind."""
    name = (clean_text(order.organisation_name or "") or default_name(buyer, kind))[:ORGANIZATION_NAME_MAX]
    administered = db.session.scalars(
        select(Organization).join(OrganizationMember)
        .where(OrganizationMember.user_id == buyer.id, OrganizationMember.role == "admin", Organization.kind == kind)
        .order_by(Organization.id)
    )
    existing = next((organization for organization in administered
                     if same_name(organization.name) == same_name(name)), None)
    if existing is not None:
        return existing
    organization = Organization(name=name, kind=kind)
    db.session.add(organization)
    db.session.add(OrganizationMember(organization=organization, user_id=buyer.id, role="admin"))
    db.session.flush()
    record(buyer, "organizations.created", organization, kind=kind, order=order.reference)
    return organization


def on_seat_order_paid(order: Order, line: OrderLine) -> None:
    """A seat tier was paid: the buyer's organisation gets a licence of ``line.quantity`` seats (once per order)."""
    if db.session.scalar(select(SeatLicence.id).where(SeatLicence.order_id == order.id)) is not None:
        return
    buyer = db.session.get_one(User, order.user_id)
    organization = _organization_for(order, buyer, kind_for(line))
    start = as_utc(order.paid_at) if order.paid_at else utcnow()
    licence = create_licence(organization, order.module_id, line.quantity, start, line.access_days,
                             source="order", order_id=order.id)
    record(buyer, "organizations.licence_created", licence, organization=organization.id, order=order.reference,
           seats=line.quantity)


def on_seat_order_refunded(order: Order, line: OrderLine, seats_kept: int) -> None:
    """A refund took seats back: the licence shrinks; surplus seats go, pending invitations before learners."""
    licence = db.session.scalar(select(SeatLicence).where(SeatLicence.order_id == order.id).with_for_update())
    if licence is None:
        return
    revoked = shrink_licence(licence, seats_kept, f"refund of order {order.reference}")
    record(None, "organizations.licence_reduced", licence, organization=licence.organization_id,
           order=order.reference, seats=licence.seats, seats_revoked=revoked)


def connect_billing_hooks() -> None:
    seat_order_paid.connect(on_seat_order_paid)
    seat_order_refunded.connect(on_seat_order_refunded)
