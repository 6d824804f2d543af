"""The scheduled jobs: renewal reminders, audit address retention, dead logins, stale test-mode checkouts."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from coursesite.accounts import tasks as account_tasks
from coursesite.accounts.audit import record
from coursesite.accounts.models import UserSession
from coursesite.accounts.sessions import start
from coursesite.billing import tasks as billing_tasks
from coursesite.billing.access import grant_entitlement
from coursesite.billing.models import TestModeSession
from coursesite.extensions import db
from coursesite.jobs import outbox
from coursesite.jobs.queue import queue
from coursesite.models_base import utcnow
from tests.factories import make_user, module_id


def test_every_scheduled_job_is_registered_with_the_queue(app):
    periodic = {task.__name__ for task in queue._registry._periodic_tasks}
    assert {"renewal_reminders_daily", "delete_stale_test_checkouts", "forget_old_audit_addresses",
            "delete_dead_logins", "delete_unconfirmed_accounts", "sweep_every_minute",
            "delete_finished_daily"} <= periodic


def test_renewal_reminders_run_daily_from_the_queue(app, mailbox, sample_module):
    learner = make_user()
    grant_entitlement(learner.id, module_id(), kind="access", days=6, source="grant")
    db.session.commit()
    billing_tasks.renewal_reminders_daily.call_local()
    billing_tasks.renewal_reminders_daily.call_local()
    assert [mail.subject for mail in mailbox.received] == ["Your access to A Sample Module ends in 6 days"]


def test_old_audit_events_lose_their_address_and_nothing_else(app):
    user = make_user()
    old = record(user, "account.login", user)
    old.ip_address, old.at = "198.51.100.7", utcnow() - timedelta(days=91)
    recent = record(user, "account.login", user)
    recent.ip_address = "198.51.100.8"
    db.session.commit()
    account_tasks.forget_old_audit_addresses.call_local()
    rows = db.session.execute(sa.text("SELECT action, ip_address FROM audit_events ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [("account.login", None), ("account.login", "198.51.100.8")]


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET action = 'forged'",
    "UPDATE audit_events SET ip_address = '203.0.113.1'",
    "UPDATE audit_events SET ip_address = NULL, target = 'users:999'",
    "DELETE FROM audit_events",
])
def test_the_database_still_refuses_every_other_change_to_the_audit_log(app, statement):
    user = make_user()
    record(user, "account.login", user).ip_address = "198.51.100.7"
    db.session.commit()
    with db.engine.connect() as connection, pytest.raises(sa.exc.DatabaseError, match="append-only"):
        connection.execute(sa.text(statement))


def test_ended_logins_are_deleted_hourly(app):
    user = make_user()
    start(user, remember=False)
    start(user, remember=False)
    db.session.commit()
    first, second = db.session.scalars(select(UserSession).order_by(UserSession.id))
    first.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    account_tasks.delete_dead_logins.call_local()
    assert [row.id for row in db.session.scalars(select(UserSession))] == [second.id]


def test_stale_test_mode_checkouts_are_deleted(app):
    def checkout(session_id: str, status: str, age: timedelta) -> TestModeSession:
        return TestModeSession(id=session_id, order_reference=session_id, status=status, success_url="/s",
                               cancel_url="/c", currency="usd", line_items=[], created_at=utcnow() - age)

    db.session.add_all([checkout("cs_old_open", "open", timedelta(days=2)),
                        checkout("cs_new_open", "open", timedelta(hours=1)),
                        checkout("cs_old_paid", "complete", timedelta(days=30))])
    db.session.commit()
    billing_tasks.delete_stale_test_checkouts.call_local()
    assert set(db.session.scalars(select(TestModeSession.id))) == {"cs_new_open", "cs_old_paid"}


def test_the_sweeper_runs_every_minute(app, mailbox):
    outbox.sweep_every_minute.call_local()  # nothing pending: nothing happens, nothing fails
    assert mailbox.received == []
