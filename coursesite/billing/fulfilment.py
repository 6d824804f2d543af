"""Turning what the payment provider says into orders and entitlements.

One path, :func:`fulfil`, serves both the success page and the webhook. It re-reads the Checkout Session from the
provider (so event order and stale payloads do not matter) and moves the order out of ``pending`` with a conditional
``UPDATE … WHERE status = 'pending'``: on PostgreSQL the row lock makes concurrent callers wait and then match no
row; on SQLite the database's single writer does the same. Only the caller whose UPDATE changed the row grants
anything, so a payment is fulfilled exactly once however often and however concurrently it is reported.

Every function here is one unit of work: it commits (or rolls back) itself. A webhook's event id is inserted in the
same transaction as the effect, under a unique constraint, so a redelivered event changes nothing.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from coursesite.accounts.audit import record
from coursesite.billing.access import grant_entitlement, revoke_source
from coursesite.billing.alerts import (
    DISPUTE,
    DUPLICATE,
    MISMATCH,
    Alert,
    alert_after_rollback,
    mail_admins,
    record_alert,
)
from coursesite.billing.gateway import PaymentGateway
from coursesite.billing.gateway.types import CheckoutSession, Dispute
from coursesite.billing.hooks import seat_order_paid, seat_order_refunded
from coursesite.billing.models import Order, OrderLine, WebhookEvent
from coursesite.billing.notices import send_receipt
from coursesite.extensions import db
from coursesite.models_base import rows_matched, utcnow
from coursesite.money import format_money

log = logging.getLogger(__name__)

REFUNDABLE_STATUSES = ("paid", "partially_refunded")  # also: may be lost to a dispute


class DuplicateEvent(Exception):
    """This webhook event was already processed."""


class FulfilmentError(Exception):
    """The provider's session does not match our order; nothing was granted.

    The problem is recorded and the admins mailed (see :mod:`coursesite.billing.alerts`); ``alerted`` says whether
    that worked, so the buyer is told the truth.
    """

    def __init__(self, message: str, *, order_id: int, reason: str) -> None:
        super().__init__(message)
        self.order_id = order_id
        self.reason = reason
        self.alerted = False


@dataclass(frozen=True)
class EventRef:
    """The Stripe event being handled: recorded with its effect, so a redelivered event changes nothing."""

    id: str
    type: str


@dataclass(frozen=True)
class Outcome:
    order: Order | None
    newly_paid: bool = False
    # Recorded in the same transaction; mailed to the admins once it has committed.
    alerts: tuple[Alert, ...] = ()


@contextmanager
def unit_of_work(event: EventRef | None) -> Iterator[None]:
    """One transaction; with ``event``, its id is recorded first so a duplicate stops before any effect."""
    try:
        if event is not None:
            db.session.add(WebhookEvent(stripe_event_id=event.id, type=event.type))
            try:
                db.session.flush()
            except IntegrityError:
                db.session.rollback()
                raise DuplicateEvent(event.id) from None
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def _run(event: EventRef | None, session: CheckoutSession | None, work: Callable[[], Outcome]) -> Outcome:
    """``work`` as one unit of work, with the mail it causes (the receipt of a newly paid order, the admins'
    alerts), which goes out once it commits; or, when the session did not match, record that."""
    try:
        with unit_of_work(event):
            outcome = work()
            if outcome.newly_paid and outcome.order is not None:
                send_receipt(outcome.order)
            for alert in outcome.alerts:
                mail_admins(alert)
    except FulfilmentError as error:
        error.alerted = alert_after_rollback(
            MISMATCH, error.order_id, session_id=session.id if session else "",
            payment_intent=session.payment_intent if session else None, reason=error.reason)
        raise
    return outcome


def fulfil(session_id: str, gateway: PaymentGateway, *, event: EventRef | None = None) -> Outcome:
    """Record a Checkout Session's outcome: paid → grant what was bought, expired → expired, else leave pending."""
    session = gateway.retrieve_session(session_id)
    return _run(event, session, lambda: _apply_session(session))


def record_failure(session_id: str, gateway: PaymentGateway, *, event: EventRef | None = None) -> Outcome:
    """A delayed payment (bank debit, ...) failed. The session is re-read: if it says paid after all, fulfil it."""
    session = gateway.retrieve_session(session_id)

    def work() -> Outcome:
        if session.paid or session.status == "expired":
            return _apply_session(session)
        order = _order_for_session(session.id)
        if order is not None:
            _move(order, "pending", "failed", failure_reason="The payment did not go through.")
        return Outcome(order)

    return _run(event, session, work)


def record_refund(charge_id: str, gateway: PaymentGateway, *, event: EventRef | None = None) -> Outcome:
    """Take back what the refunded amount paid for, using the charge's current ``amount_refunded`` (re-read).

    A refund may be delivered before the purchase it refunds: the order is then fulfilled from its session first, in
    the same transaction, and the refund applied on top, so the final state is the same in either order.
    """
    charge = gateway.retrieve_charge(charge_id)
    return _for_charge(charge.payment_intent, gateway, event,
                       lambda order: _apply_refund(order, charge.amount_refunded))


def record_dispute(dispute_id: str, gateway: PaymentGateway, *, event: EventRef | None = None) -> Outcome:
    """``charge.dispute.created`` / ``charge.dispute.closed``: the dispute is re-read from the provider.

    An open dispute is put on record and the admins are mailed (they must answer it in the Stripe dashboard); access
    stays while it is decided. A dispute closed as lost takes everything back, like a full refund, and marks the order
    ``charged_back``; one that was won changes nothing but the record.
    """
    dispute = gateway.retrieve_dispute(dispute_id)
    payment_intent = dispute.payment_intent or gateway.retrieve_charge(dispute.charge).payment_intent

    def apply(order: Order) -> tuple[Alert, ...]:
        if dispute.lost:
            _apply_lost_dispute(order, dispute)
            return ()
        if dispute.status in ("won", "warning_closed"):
            record(None, "billing.dispute_closed", order, order=order.reference, dispute=dispute.id,
                   status=dispute.status)
            return ()
        alert = record_alert(DISPUTE, order, session_id=order.stripe_checkout_session_id or "",
                             payment_intent=payment_intent,
                             reason=f"dispute {dispute.id} ({dispute.reason or 'no reason given'}) over "
                                    f"{format_money(dispute.amount, order.currency)} is {dispute.status}")
        return (alert,) if alert else ()

    return _for_charge(payment_intent, gateway, event, apply)


def _for_charge(payment_intent: str | None, gateway: PaymentGateway, event: EventRef | None,
                apply: Callable[[Order], tuple[Alert, ...] | None]) -> Outcome:
    """Apply ``apply`` to the order a charge paid, fulfilling it from its session first if that has not happened."""
    if not payment_intent:
        return _run(event, None, lambda: Outcome(None))
    order = _order_for_payment_intent(payment_intent)
    session = None
    if order is None or order.status == "pending":
        session = gateway.session_for_payment_intent(payment_intent)

    def work() -> Outcome:
        applied = _apply_session(session) if session is not None else Outcome(None)
        order = _order_for_payment_intent(payment_intent, lock=True)
        alerts = (apply(order) or ()) if order is not None else ()
        return Outcome(order, alerts=applied.alerts + tuple(alerts))

    return _run(event, session, work)


def _order_for_session(session_id: str) -> Order | None:
    return db.session.scalar(select(Order).where(Order.stripe_checkout_session_id == session_id)
                             .execution_options(populate_existing=True))


def _order_for_payment_intent(payment_intent: str, lock: bool = False) -> Order | None:
    query = select(Order).where(Order.stripe_payment_intent_id == payment_intent)
    if lock:
        query = query.with_for_update()
    return db.session.scalar(query.execution_options(populate_existing=True))


def _move(order: Order, from_status: str, to_status: str, **values: object) -> bool:
    """Change the order's status only if it is still ``from_status``; True for the one caller that did."""
    result = db.session.execute(
        update(Order).where(Order.id == order.id, Order.status == from_status)
        .values(status=to_status, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(order)
    return rows_matched(result) == 1


def _apply_session(session: CheckoutSession) -> Outcome:
    order = _order_for_session(session.id)
    if order is None:
        log.info("Checkout Session %s belongs to no order of ours", session.id)
        return Outcome(None)
    if session.status == "expired":
        _move(order, "pending", "expired")
        return Outcome(order)
    if not session.paid:
        return Outcome(order)
    _check_session_matches(order, session)
    won = _move(
        order, "pending", "paid",
        paid_at=utcnow(),
        amount_subtotal=session.amount_subtotal,
        amount_discount=session.amount_discount,
        amount_total=session.amount_total,
        stripe_payment_intent_id=session.payment_intent,
        billing_name=session.customer_name[:200],
        billing_address=session.customer_address,
    )
    alerts = _grant(order, session) if won else ()
    return Outcome(order, newly_paid=won, alerts=alerts)


def _mismatch(order: Order, session: CheckoutSession) -> str:
    """What differs between the order and the session that paid it ("" when they match)."""
    problems = []
    if session.reference != order.reference:
        problems.append(f"the session is for reference {session.reference!r}, not {order.reference!r}")
    if session.currency != order.currency:
        problems.append(f"it charges in {session.currency!r}, not {order.currency!r}")
    if session.amount_subtotal != order.amount_subtotal:
        problems.append(f"its subtotal is {session.amount_subtotal}, not {order.amount_subtotal} (cents)")
    charged = [line.quantity for line in session.lines]
    expected = [line.quantity for line in order.lines]
    if charged != expected:
        problems.append(f"its line quantities are {charged}, not {expected}")
    return "; ".join(problems)


def _check_session_matches(order: Order, session: CheckoutSession) -> None:
    """The session must charge what the order asked for; anything else needs a person, not an entitlement."""
    reason = _mismatch(order, session)
    if reason:
        log.error("Checkout Session %s does not match order %s: %s", session.id, order.reference, reason)
        raise FulfilmentError(f"Checkout Session {session.id} does not match order {order.reference}",
                              order_id=order.id, reason=reason)


def _grant(order: Order, session: CheckoutSession) -> tuple[Alert, ...]:
    """Grant each line; a certificate the buyer already holds is not extended but recorded for a refund."""
    alerts = []
    for line, paid in zip(order.lines, session.lines, strict=True):
        line.amount_total = paid.amount_total
        if line.grants == "seats":
            seat_order_paid.send(order, line=line)
            continue
        # grant_entitlement locks the buyer's row, so two purchases paid at once chain (or, for the certificate,
        # see each other).
        granted = grant_entitlement(order.user_id, order.module_id, kind=line.grants, days=line.access_days,
                                    source="order", source_ref=line.entitlement_ref,
                                    unless_held=line.grants == "certificate")
        if granted is None:
            alert = record_alert(DUPLICATE, order, session_id=session.id, payment_intent=session.payment_intent,
                                 reason=f"{line.name} ({format_money(paid.amount_total, order.currency)}) was "
                                        f"already held for this module when order {order.reference} was paid")
            if alert is not None:
                alerts.append(alert)
    return tuple(alerts)


def refunded_units(lines: list[OrderLine], amount_refunded: int, order_total: int) -> dict[int, int]:
    """How many units of each line ``amount_refunded`` pays back: add-ons first, then the main line.

    A unit (a seat, an access, a certificate) counts as refunded once its whole price is back, so a small goodwill
    refund keeps access, and refunding one seat's price of an eight-seat order leaves seven.
    """
    remaining = amount_refunded
    units: dict[int, int] = {}
    for line in reversed(lines):
        share = min(remaining, line.amount_total)
        remaining -= share
        if line.amount_total == 0:
            units[line.id] = line.quantity if amount_refunded >= order_total else 0
        else:
            units[line.id] = line.quantity * share // line.amount_total
    return units


def _apply_refund(order: Order, amount_refunded: int) -> None:
    amount = min(amount_refunded, order.amount_total)
    if order.status not in REFUNDABLE_STATUSES or amount <= order.amount_refunded:
        return
    order.amount_refunded = amount
    order.status = "refunded" if amount >= order.amount_total else "partially_refunded"
    units_by_line = refunded_units(order.lines, amount, order.amount_total)
    for line in order.lines:
        units = units_by_line[line.id]
        if units > line.units_refunded:
            line.units_refunded = units
            _take_back(order, line)


def _apply_lost_dispute(order: Order, dispute: Dispute) -> None:
    """The bank took the money back: every unit still kept goes, as with a full refund."""
    if order.status not in REFUNDABLE_STATUSES:
        return
    order.status = "charged_back"
    for line in order.lines:
        if line.units_refunded < line.quantity:
            line.units_refunded = line.quantity
            _take_back(order, line, f"lost dispute of order {order.reference}")
    record(None, "billing.dispute_lost", order, order=order.reference, dispute=dispute.id, amount=dispute.amount)


def _take_back(order: Order, line: OrderLine, reason: str | None = None) -> None:
    if line.grants == "seats":
        seat_order_refunded.send(order, line=line, seats_kept=line.units_kept)
        return
    revoke_source("order", line.entitlement_ref, reason or f"refund of order {order.reference}")
