"""Receipts and renewal reminders, mailed through a real SMTP server on loopback."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from coursesite.billing.access import grant_entitlement, revoke_entitlement
from coursesite.billing.models import RenewalReminder
from coursesite.billing.notices import send_renewal_reminders
from coursesite.extensions import db
from coursesite.models_base import utcnow
from tests.billing.conftest import buy, make_user, module_id


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


def test_a_failed_send_is_tried_again_next_run(app, mailbox, sample_module):
    learner = make_user()
    grant_entitlement(learner.id, module_id(), kind="access", days=6, source="grant")
    db.session.commit()
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 9
    assert send_renewal_reminders().failed == 1
    app.config["MAIL_PORT"] = port
    assert send_renewal_reminders().sent == 1 and len(mailbox.received) == 1
