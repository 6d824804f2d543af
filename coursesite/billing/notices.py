"""Mail that billing sends: the receipt when an order is paid, and renewal reminders before access ends.

Each message joins the caller's transaction (coursesite/mail.py) and goes out once it commits.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from coursesite import mail
from coursesite.accounts.addresses import mail_to
from coursesite.accounts.models import User
from coursesite.billing.models import REMINDER_DAYS_BEFORE, Entitlement, Order, RenewalReminder
from coursesite.catalog.models import Module
from coursesite.extensions import db
from coursesite.models_base import as_utc, utcnow

log = logging.getLogger(__name__)


def send_receipt(order: Order) -> None:
    """Mail the buyer their receipt, in the transaction that pays the order (no commit). A receipt that cannot be
    composed is logged: the payment stands without it."""
    user = db.session.get_one(User, order.user_id)
    try:
        mail.send(mail_to(user), f"Your receipt for {order.module.title} (order {order.reference})", "receipt",
                  user=user, order=order, receipt_url=mail.link("billing.receipt", reference=order.reference),
                  learning_url=mail.link("learning.overview"))
    except Exception:
        log.exception("Could not mail the receipt of order %s", order.reference)


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
    """Mail each due reminder once (``sent`` counts the reminders queued for delivery).

    Each reminder is one transaction: its ``RenewalReminder`` row, unique per user, module, end of access and days
    before, and its mail's job. Two runs at once cannot both mail it: the second's insert hits the unique constraint,
    its transaction rolls back with its mail, and it counts the reminder as already sent. Delivery, and its retries,
    are the job queue's (coursesite/mail.py); ``failed`` counts reminders that could not even be composed.
    """
    now = now or utcnow()
    sent = already_sent = failed = 0
    due_now = due_reminders(now)
    done = _reminded(now, now + timedelta(days=max(REMINDER_DAYS_BEFORE)))
    # The keys are read before the first commit expires the users and modules (reading them later reloads each).
    for key, due in [((d.user.id, d.module.id, d.access_ends_at, d.days_before), d) for d in due_now]:
        if key in done:  # most days most due windows were reminded on an earlier day: no doomed INSERT for them
            already_sent += 1
            continue
        db.session.add(RenewalReminder(user_id=due.user.id, module_id=due.module.id,
                                       access_ends_at=due.access_ends_at, days_before=due.days_before))
        try:
            _mail_reminder(due, now)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            already_sent += 1
        except Exception:
            db.session.rollback()
            log.exception("Could not compose the renewal reminder to user %s", due.user.id)
            failed += 1
        else:
            sent += 1
    return ReminderRun(sent, already_sent, failed)


def _reminded(after: datetime, until: datetime) -> set[tuple[int, int, datetime, int]]:
    """The reminders already sent for access ending in (``after``, ``until``]: one query for the whole run."""
    rows = db.session.execute(
        select(RenewalReminder.user_id, RenewalReminder.module_id, RenewalReminder.access_ends_at,
               RenewalReminder.days_before)
        .where(RenewalReminder.access_ends_at > after, RenewalReminder.access_ends_at <= until))
    return {(row.user_id, row.module_id, as_utc(row.access_ends_at), row.days_before) for row in rows}


def _mail_reminder(due: DueReminder, now: datetime) -> None:
    days_left = math.ceil((due.access_ends_at - now).total_seconds() / 86400)
    mail.send(mail_to(due.user), f"Your access to {due.module.title} ends in {days_left} days", "renewal_reminder",
              user=due.user, module=due.module, access_ends_at=due.access_ends_at, days_left=days_left,
              renew_url=mail.link("catalog.module", slug=due.module.slug) + "#pricing-title")
