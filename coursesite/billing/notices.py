"""Mail that billing sends: the receipt when an order is paid, and renewal reminders before access ends.

Renewal reminders are claimed, then sent: see :func:`send_renewal_reminders`.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from coursesite import mail
from coursesite.accounts.addresses import mail_to
from coursesite.accounts.models import User
from coursesite.billing.fulfilment import Outcome
from coursesite.billing.models import REMINDER_DAYS_BEFORE, Entitlement, Order, RenewalReminder
from coursesite.catalog.models import Module
from coursesite.extensions import db
from coursesite.models_base import as_utc, utcnow

log = logging.getLogger(__name__)


def send_receipt(order: Order) -> None:
    """Mail the buyer their receipt; the order is already paid and committed, so a mail failure is only logged."""
    user = db.session.get_one(User, order.user_id)
    try:
        mail.send(mail_to(user), f"Your receipt for {order.module.title} (order {order.reference})", "receipt",
                  user=user, order=order, receipt_url=mail.link("billing.receipt", reference=order.reference),
                  learning_url=mail.link("learning.overview"))
    except Exception:
        log.exception("Could not mail the receipt of order %s", order.reference)


def send_receipt_if_newly_paid(outcome: Outcome) -> None:
    """After a fulfilment has committed: the receipt, from the one caller whose fulfilment newly paid the order."""
    if outcome.newly_paid and outcome.order is not None:
        send_receipt(outcome.order)


@dataclass(frozen=True)
class DueReminder:
    user: User
    module: Module
    access_ends_at: datetime
    days_before: int


def due_reminders(now: datetime) -> list[DueReminder]:
    """Access ending within the largest reminder window, with the nearest window it has reached."""
    horizon = now + timedelta(days=max(REMINDER_DAYS_BEFORE))
    ends = func.max(Entitlement.valid_until)
    rows = db.session.execute(
        select(Entitlement.user_id, Entitlement.module_id, ends.label("ends"))
        .join(User, User.id == Entitlement.user_id)
        .where(Entitlement.kind == "access", Entitlement.revoked_at.is_(None),
               User.deleted_at.is_(None))  # a deleted account has no one to mail (and only a placeholder address)
        .group_by(Entitlement.user_id, Entitlement.module_id)
        .having(ends > now, ends <= horizon)
    ).all()
    users = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_({r.user_id for r in rows})))}
    modules = {m.id: m for m in db.session.scalars(select(Module).where(Module.id.in_({r.module_id for r in rows})))}
    due = []
    for row in rows:
        access_ends_at = as_utc(row.ends)
        days_before = min(d for d in REMINDER_DAYS_BEFORE if access_ends_at - now <= timedelta(days=d))
        due.append(DueReminder(users[row.user_id], modules[row.module_id], access_ends_at, days_before))
    return due


@dataclass(frozen=True)
class ReminderRun:
    sent: int
    already_sent: int
    failed: int


def send_renewal_reminders(now: datetime | None = None) -> ReminderRun:
    """Mail each due reminder once: claim it, commit, then send; a failed send gives the claim back.

    The claim is the ``RenewalReminder`` row, unique per user, module, end of access and days before. It is inserted
    and committed *before* the mail goes out, so no transaction (and no lock on SQLite's one writer) is held open
    while an SMTP server takes its time. Two runs at once cannot both send: the second's insert hits the unique
    constraint and it counts the reminder as already sent. If the send fails, the claim is deleted again and the next
    run retries. The price is that a run killed between the commit and the send never sends that one reminder; a
    missed reminder is better than a repeated one, and the learner's access page still shows the end date.
    """
    now = now or utcnow()
    sent = already_sent = failed = 0
    for due in due_reminders(now):
        claim = _claim(due)
        if claim is None:
            already_sent += 1
            continue
        try:
            _mail_reminder(due, now)
        except Exception:
            log.exception("Could not mail the renewal reminder to user %s", due.user.id)
            _release(claim)
            failed += 1
            continue
        sent += 1
    return ReminderRun(sent, already_sent, failed)


def _claim(due: DueReminder) -> int | None:
    """Insert and commit the reminder's row; None when another run (or an earlier one) has it."""
    reminder = RenewalReminder(user_id=due.user.id, module_id=due.module.id, access_ends_at=due.access_ends_at,
                               days_before=due.days_before)
    db.session.add(reminder)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return reminder.id


def _release(claim: int) -> None:
    db.session.execute(delete(RenewalReminder).where(RenewalReminder.id == claim))
    db.session.commit()


def _mail_reminder(due: DueReminder, now: datetime) -> None:
    days_left = math.ceil((due.access_ends_at - now).total_seconds() / 86400)
    mail.send(mail_to(due.user), f"Your access to {due.module.title} ends in {days_left} days", "renewal_reminder",
              user=due.user, module=due.module, access_ends_at=due.access_ends_at, days_left=days_left,
              renew_url=mail.link("catalog.module", slug=due.module.slug) + "#pricing-title")
