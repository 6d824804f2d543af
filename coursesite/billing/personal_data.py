"""What billing keeps about a person, for the data download and account deletion (see accounts/personal_data.py).

Export: every order (reference, module, lines with tier, quantity and amounts, totals, status, dates, the
organisation, billing name and address, the Stripe ids), every entitlement (access and certificate windows, with
their source and any revocation) and the renewal reminders sent.

Erase, and what is kept on purpose:

- Orders stay, with their reference, amounts, lines, status and dates: they are the accounting record of money
  received and refunded, which the business must keep (and refunds and disputes may still arrive for them).
- An order that took money (paid, refunded, partly refunded, charged back) *in an organisation's name*
  (organisation-funded access, seat licences) keeps the organisation's name, the name on the invoice and the billing
  address: that is the organisation's invoice, a tax record, and it describes the organisation, not the person.
- Every other order (bought for oneself, or never paid: pending, expired, failed) loses its billing name and address,
  and an unpaid one its organisation name too: nothing requires keeping them.
- The TEST MODE checkout sessions of the person's orders lose the name and address typed into them.
- Renewal reminders are deleted (they only stop a reminder being sent twice; a deleted account gets none).
- Entitlements stay: they are the record of what access and certificates were granted, and name the account by id
  only (the account itself is anonymised).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import selectinload

from coursesite.accounts.models import User
from coursesite.accounts.personal_data import AccountDataPart, iso
from coursesite.billing.models import Entitlement, Order, RenewalReminder, TestModeSession
from coursesite.billing.services import RECEIPT_STATUSES
from coursesite.catalog.models import Module
from coursesite.extensions import db


def _order(order: Order) -> dict[str, Any]:
    return {
        "reference": order.reference,
        "module": order.module.slug,
        "module_title": order.module.title,
        "status": order.status,
        "currency": order.currency,
        "lines": [{"tier": line.tier_code, "name": line.name, "quantity": line.quantity,
                   "unit_amount": line.unit_amount, "amount_total": line.amount_total,
                   "units_refunded": line.units_refunded, "access_days": line.access_days}
                  for line in order.lines],
        "amount_subtotal": order.amount_subtotal,
        "amount_discount": order.amount_discount,
        "amount_total": order.amount_total,
        "amount_refunded": order.amount_refunded,
        "organisation_name": order.organisation_name,
        "billing_name": order.billing_name,
        "billing_address": dict(order.billing_address or {}),
        "created_at": iso(order.created_at),
        "paid_at": iso(order.paid_at),
        "stripe_checkout_session_id": order.stripe_checkout_session_id,
        "stripe_payment_intent_id": order.stripe_payment_intent_id,
    }


def export_billing(user: User) -> dict[str, Any]:
    orders = db.session.scalars(
        select(Order).where(Order.user_id == user.id).order_by(Order.created_at, Order.id)
        .options(selectinload(Order.lines), selectinload(Order.module))
    )
    entitlements = db.session.scalars(
        select(Entitlement).where(Entitlement.user_id == user.id).order_by(Entitlement.valid_from, Entitlement.id)
        .options(selectinload(Entitlement.module))
    )
    reminders = db.session.execute(
        select(RenewalReminder, Module.slug).join(Module, RenewalReminder.module_id == Module.id)
        .where(RenewalReminder.user_id == user.id).order_by(RenewalReminder.sent_at, RenewalReminder.id)
    ).all()
    return {
        "orders": [_order(order) for order in orders],
        "entitlements": [
            {"module": e.module.slug, "kind": e.kind, "valid_from": iso(e.valid_from),
             "valid_until": iso(e.valid_until), "source": e.source, "revoked_at": iso(e.revoked_at),
             "revoked_reason": e.revoked_reason}
            for e in entitlements
        ],
        "renewal_reminders": [
            {"module": slug, "access_ends_at": iso(reminder.access_ends_at), "days_before": reminder.days_before,
             "sent_at": iso(reminder.sent_at)}
            for reminder, slug in reminders
        ],
    }


def is_organisation_invoice(order: Order) -> bool:
    """Money was taken in an organisation's name: a tax record that keeps its billing details."""
    return order.status in RECEIPT_STATUSES and bool(order.organisation_name)


def erase_billing(user: User) -> None:
    orders = list(db.session.scalars(select(Order).where(Order.user_id == user.id)))
    for order in orders:
        if is_organisation_invoice(order):
            continue
        order.billing_name = ""
        order.billing_address = {}
        if order.status not in RECEIPT_STATUSES:
            order.organisation_name = ""
    references = [order.reference for order in orders]
    if references:
        db.session.execute(update(TestModeSession).where(TestModeSession.order_reference.in_(references))
                           .values(customer_name="", customer_address={}))
    db.session.execute(delete(RenewalReminder).where(RenewalReminder.user_id == user.id))


BILLING_DATA = AccountDataPart("billing", export=export_billing, erase=erase_billing)
