"""Receipts and renewal reminders, mailed through a real SMTP server on loopback."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from coursesite.billing.access import grant_entitlement, revoke_entitlement
from coursesite.billing.models import RenewalReminder
from coursesite.billing.notices import send_renewal_reminders
from coursesite.extensions import db
from coursesite.models_base import utcnow
from tests.factories import make_user, module_id
from tests.mail_sink import free_port
from tests.support import buy


def test_paying_mails_the_receipt_once(app, learner_client, stub, mailbox, sample_module):
    assert buy(learner_client, "self_funded", add_certificate="y").status_code == 303
    session = stub.last_session()
    stub.pay(session["id"], discount=1500)
    learner_client.get(f"/checkout/success?session_id={session['id']}")
    learner_client.get(f"/checkout/success?session_id={session['id']}")
    (receipt,) = mailbox.received
    assert receipt.envelope_to == ["learner@example.org"]
    assert "Your receipt for A Sample Module" in receipt.subject
    assert "Discount: -$15" in receipt.text and "Total paid: $300" in receipt.text
    assert "/billing/orders/" in receipt.link_to("/billing/orders/")



def test_reminders_30_and_7_days_before_the_end_never_twice(app, runner, mailbox, sample_module):
    learner = make_user()
    grant_entitlement(learner.id, module_id(), kind="access", days=25, source="grant")
    db.session.commit()
    result = runner.invoke(args=["billing", "remind"])
    assert result.exit_code == 0 and "1 sent" in result.output
    (first,) = mailbox.received
    assert "Your access to A Sample Module ends in 25 days" in first.subject
    assert "/modules/sample-module#pricing-title" in first.text
    assert "0 sent, 1 already sent" in runner.invoke(args=["billing", "remind"]).output
    assert len(mailbox.received) == 1

    later = send_renewal_reminders(now=utcnow() + timedelta(days=20))
    assert (later.sent, later.already_sent) == (1, 0)
    assert "ends in 5 days" in mailbox.received[-1].subject
    assert send_renewal_reminders(now=utcnow() + timedelta(days=21)).sent == 0
    assert db.session.scalar(select(func.count(RenewalReminder.id))) == 2


def test_a_renewal_opens_a_new_window_to_remind(app, mailbox, sample_module):
    learner = make_user()
    grant_entitlement(learner.id, module_id(), kind="access", days=20, source="order")
    db.session.commit()
    assert send_renewal_reminders().sent == 1
    grant_entitlement(learner.id, module_id(), kind="access", days=365, source="order")
    db.session.commit()
    assert send_renewal_reminders().sent == 0  # the new end is far away
    assert send_renewal_reminders(now=utcnow() + timedelta(days=360)).sent == 1


def test_no_reminder_for_far_ended_or_revoked_access(app, mailbox, sample_module):
    far = make_user("far@example.org")
    grant_entitlement(far.id, module_id(), kind="access", days=200, source="grant")
    ended = make_user("ended@example.org")
    grant_entitlement(ended.id, module_id(), kind="access", days=3, source="grant", now=utcnow() - timedelta(days=10))
    revoked = make_user("revoked@example.org")
    revoke_entitlement(grant_entitlement(revoked.id, module_id(), kind="access", days=10, source="grant"), "test")
    db.session.commit()
    assert send_renewal_reminders().sent == 0 and mailbox.received == []


def test_a_failed_send_is_retried_by_the_job_queue_and_the_reminder_never_repeated(app, mailbox, sample_module,
                                                                                   run_due_jobs):
    learner = make_user()
    grant_entitlement(learner.id, module_id(), kind="access", days=6, source="grant")
    db.session.commit()
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 9
    assert send_renewal_reminders().sent == 1 and mailbox.received == []
    app.config["MAIL_PORT"] = port
    assert send_renewal_reminders().already_sent == 1, "the queued reminder is not made again"
    assert run_due_jobs() == ["done"]
    assert len(mailbox.received) == 1


def test_no_reminder_for_a_deleted_account(app, mailbox, sample_module):
    gone = make_user("gone@example.org")
    grant_entitlement(gone.id, module_id(), kind="access", days=6, source="grant")
    gone.deleted_at = utcnow()
    gone.email = f"deleted-{gone.id}@deleted.invalid"
    db.session.commit()
    run = send_renewal_reminders()
    assert (run.sent, run.already_sent, run.failed) == (0, 0, 0) and mailbox.received == []
    assert db.session.scalar(select(func.count(RenewalReminder.id))) == 0


class ClaimWatcher:
    """An SMTP server that, while a message arrives, looks at the reminders table over its own connection."""

    def __init__(self, database_url: str) -> None:
        self.engine = sa.create_engine(database_url)
        self.claims_seen: list[int] = []

    async def handle_DATA(self, _server, _session, _envelope) -> str:  # noqa: N802 - the name aiosmtpd calls
        with self.engine.connect() as connection:
            self.claims_seen.append(connection.scalar(sa.text("SELECT count(*) FROM renewal_reminders")))
        return "250 Message accepted"


def test_the_claim_is_committed_before_the_mail_is_sent(app, sample_module):
    """No transaction is open while SMTP talks: another connection already sees the claimed reminder."""
    learner = make_user()
    grant_entitlement(learner.id, module_id(), kind="access", days=6, source="grant")
    db.session.commit()
    watcher = ClaimWatcher(app.config["SQLALCHEMY_DATABASE_URI"])
    controller = Controller(watcher, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config["MAIL_PORT"] = controller.port
    try:
        assert send_renewal_reminders().sent == 1
    finally:
        controller.stop()
        watcher.engine.dispose()
    assert watcher.claims_seen == [1]
    assert db.session.scalar(select(func.count(RenewalReminder.id))) == 1


def test_the_receipt_mail_carries_the_billing_address(app, learner_client, stub, mailbox, sample_module):
    assert buy(learner_client, "org_funded", organisation_name="Clinic of the North").status_code == 303
    session = stub.last_session()
    stub.pay(session["id"], customer_name="Accounts Payable",
             address={"line1": "1 Harbour Road", "city": "Tromsø", "postal_code": "9008", "country": "NO"})
    learner_client.get(f"/checkout/success?session_id={session['id']}")
    (receipt,) = mailbox.received
    text = receipt.text.replace("\r\n", "\n")
    assert "Billed to:\nClinic of the North\nAccounts Payable\n1 Harbour Road\nTromsø\n9008\nNO\n" in text
    assert "<strong>Clinic of the North</strong><br>Accounts Payable<br>1 Harbour Road<br>Tromsø" in receipt.html
