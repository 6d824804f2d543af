"""Money that needs a person: a payment that does not match its order, a purchase paid twice, a dispute.

Nothing is granted automatically for these. An audit event records each (action ``billing.fulfilment_mismatch``,
``billing.duplicate_payment`` or ``billing.dispute_opened``; target the order; details: the Checkout Session, payment
intent and reason) and every admin is mailed, to check the payment and refund or honour it by hand, or to answer the
dispute. One order gets at most one event of each action, however often Stripe redelivers the event or the buyer
reloads the success page.

:func:`record_alert` adds the event inside the caller's transaction (a duplicate found while fulfilling, a dispute);
:func:`alert_after_rollback` writes it in a transaction of its own (a mismatch, whose fulfilment was rolled back).
The admins' mail joins the same transaction (:func:`mail_admins`) and goes out once it commits.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from coursesite import mail
from coursesite.accounts.addresses import mail_to
from coursesite.accounts.audit import record
from coursesite.accounts.models import AuditEvent, User
from coursesite.billing.models import Order
from coursesite.extensions import db
from coursesite.permissions import Right, roles_with

log = logging.getLogger(__name__)

MISMATCH = "billing.fulfilment_mismatch"
DUPLICATE = "billing.duplicate_payment"
DISPUTE = "billing.dispute_opened"
SUBJECTS = {
    DISPUTE: "Dispute opened: order {reference}; answer it in the Stripe dashboard",
    MISMATCH: "Payment needs review: order {reference} was paid but does not match its checkout",
    DUPLICATE: "Refund needed: order {reference} paid again for something already bought",
}


@dataclass(frozen=True)
class Alert:
    action: str
    order_reference: str
    module_title: str
    user_id: int
    session_id: str
    payment_intent: str | None
    reason: str


def record_alert(action: str, order: Order, *, session_id: str, payment_intent: str | None,
                 reason: str) -> Alert | None:
    """Add the audit event unless the order already has one for ``action`` (no commit). The alert to mail, or None
    when it was already recorded."""
    target = f"orders:{order.id}"
    if db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == action, AuditEvent.target == target)
                         .limit(1)) is not None:
        return None
    record(None, action, target, order=order.reference, session_id=session_id, payment_intent=payment_intent,
           reason=reason)
    return Alert(action, order.reference, order.module.title, order.user_id, session_id, payment_intent, reason)


def alert_after_rollback(action: str, order_id: int, *, session_id: str, payment_intent: str | None,
                         reason: str) -> bool:
    """Record and mail in a transaction of its own; True once the problem is on record (now or before)."""
    try:
        order = db.session.execute(select(Order).where(Order.id == order_id).with_for_update()).scalar_one()
        alert = record_alert(action, order, session_id=session_id, payment_intent=payment_intent, reason=reason)
        if alert is not None:
            mail_admins(alert)
        db.session.commit()
    except Exception:  # the caller still refuses the fulfilment; the log keeps the details
        db.session.rollback()
        log.exception("Could not record %s for order %s", action, order_id)
        return False
    return True


def admins() -> list[User]:
    """The staff who may act on a payment alert: open access (or refund, in Stripe's dashboard)."""
    return list(db.session.scalars(select(User).where(User.role.in_(roles_with(Right.GRANT_ACCESS)),
                                                      User.deleted_at.is_(None))
                                   .order_by(User.id)))


def mail_admins(alert: Alert) -> None:
    """Mail every admin about ``alert``, in the transaction that records it (no commit); a message that cannot be
    composed is logged."""
    subject = SUBJECTS[alert.action].format(reference=alert.order_reference)
    for admin in admins():
        try:
            mail.send(mail_to(admin), subject, "billing_alert", user=admin, alert=alert,
                      staff_url=mail.link("staff.access"), audit_url=mail.link("staff.audit_log"))
        except Exception:  # the audit event is the record; the mail is a courtesy
            log.exception("Could not mail admin %s about order %s", admin.id, alert.order_reference)
