"""charge.dispute.created / charge.dispute.closed: an open dispute alerts the admins, a lost one takes back
everything the order bought (like a full refund); the dispute is always re-read from Stripe."""
from __future__ import annotations

from sqlalchemy import func, select

from coursesite.accounts.models import AuditEvent
from coursesite.billing.access import has_access, has_entitlement
from coursesite.billing.hooks import seat_order_refunded
from coursesite.billing.models import Entitlement, WebhookEvent
from coursesite.extensions import db
from tests.billing.test_refunds import paid
from tests.factories import make_user, module_id
from tests.support import only_order, post_event


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("billing.dispute%"))
                                   .order_by(AuditEvent.id)))


def test_a_lost_dispute_takes_back_access_and_certificate(app, learner_client, learner, stub, mailbox,
                                                          sample_module):
    admin = make_user("admin@example.org", role="admin")
    charge = paid(learner_client, stub, add_certificate="y")
    dispute = stub.dispute(charge["id"])
    opened = post_event(app.test_client(), stub, "charge.dispute.created", dispute, event_id="evt_dispute_opened")
    assert opened.status_code == 200 and opened.get_json()["result"] == "processed"
    assert has_access(learner, module_id()) and only_order().status == "paid"  # while the bank decides
    (alert,) = mailbox.to(admin.email)
    order = only_order()
    assert f"Dispute opened: order {order.reference}" in alert.subject
    assert f"dispute {dispute['id']} (fraudulent) over $315 is needs_response" in alert.text

    stub.close_dispute(dispute["id"], "lost")
    # The event's copy is stale on purpose: the handler re-reads the dispute from Stripe.
    closed = post_event(app.test_client(), stub, "charge.dispute.closed", dispute, event_id="evt_dispute_closed")
    assert closed.status_code == 200
    order = only_order()
    assert order.status == "charged_back" and [line.units_refunded for line in order.lines] == [1, 1]
    assert not has_access(learner, module_id()) and not has_entitlement(learner, module_id(), "certificate")
    reasons = set(db.session.scalars(select(Entitlement.revoked_reason)))
    assert reasons == {f"lost dispute of order {order.reference}"}
    assert actions() == ["billing.dispute_opened", "billing.dispute_lost"]
    assert set(db.session.scalars(select(WebhookEvent.stripe_event_id))) >= {"evt_dispute_opened",
                                                                              "evt_dispute_closed"}
    again = post_event(app.test_client(), stub, "charge.dispute.closed", dispute, event_id="evt_dispute_closed")
    assert again.get_json()["result"] == "duplicate"

    receipt = learner_client.get(f"/billing/orders/{order.reference}").get_data(as_text=True)
    assert "Status: Payment reversed (dispute lost)" in receipt
    assert '<th scope="row">Net paid</th><td>$0</td>' in receipt
    # A refund event after the lost dispute changes nothing more.
    post_event(app.test_client(), stub, "charge.refunded", stub.refund(charge["id"]))
    assert only_order().status == "charged_back"


def test_a_won_dispute_changes_nothing_but_the_record(app, learner_client, learner, stub, sample_module):
    charge = paid(learner_client, stub)
    dispute = stub.dispute(charge["id"], reason="product_not_received")
    post_event(app.test_client(), stub, "charge.dispute.created", dispute)
    stub.close_dispute(dispute["id"], "won")
    post_event(app.test_client(), stub, "charge.dispute.closed", dispute)
    assert only_order().status == "paid" and has_access(learner, module_id())
    assert actions() == ["billing.dispute_opened", "billing.dispute_closed"]
    assert db.session.scalar(select(func.count(WebhookEvent.id))) == 2


def test_a_lost_dispute_over_seats_takes_them_all_back(app, learner_client, stub, sample_module):
    calls = []
    charge = paid(learner_client, stub, "institutional", quantity="5", organisation_name="Clinic")
    dispute = stub.close_dispute(stub.dispute(charge["id"])["id"], "lost")
    with seat_order_refunded.connected_to(lambda order, line, seats_kept: calls.append((line.quantity, seats_kept))):
        assert post_event(app.test_client(), stub, "charge.dispute.closed", dispute).status_code == 200
    assert calls == [(5, 0)] and only_order().status == "charged_back"


def test_a_dispute_stripe_cannot_be_asked_about_is_delivered_again(app, learner_client, learner, stub,
                                                                   sample_module):
    charge = paid(learner_client, stub)
    dispute = stub.close_dispute(stub.dispute(charge["id"])["id"], "lost")
    stub.fail_next(500, "/v1/disputes/")
    response = post_event(app.test_client(), stub, "charge.dispute.closed", dispute, event_id="evt_retry_dispute")
    assert response.status_code == 503 and has_access(learner, module_id())
    response = post_event(app.test_client(), stub, "charge.dispute.closed", dispute, event_id="evt_retry_dispute")
    assert response.status_code == 200 and not has_access(learner, module_id())
