"""One fulfilment for the success page and the webhook: what each tier grants, and that it happens exactly once."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from coursesite.accounts.models import AuditEvent
from coursesite.billing.access import access_ends, has_access, has_entitlement
from coursesite.billing.hooks import seat_order_paid
from coursesite.billing.models import Entitlement, WebhookEvent
from coursesite.extensions import db
from coursesite.models_base import utcnow
from tests.factories import make_user, module_id
from tests.stripe_stub import STALL_PAST_TIMEOUT
from tests.support import buy, login_as, only_order, post_event


def checkout(client, stub, tier="self_funded", **fields) -> dict:
    """Buy through the pricing form and return the Stripe session it opened."""
    assert buy(client, tier, **fields).status_code == 303
    return stub.last_session()


def entitlements(kind: str | None = None) -> list[Entitlement]:
    query = select(Entitlement).order_by(Entitlement.id)
    if kind:
        query = query.where(Entitlement.kind == kind)
    return list(db.session.scalars(query.execution_options(populate_existing=True)))


def success_page(client, session: dict):
    return client.get(f"/checkout/success?session_id={session['id']}")


def test_success_page_fulfils_before_the_webhook_and_the_webhook_then_changes_nothing(
        learner_client, learner, stub, sample_module):
    session = checkout(learner_client, stub)
    assert not has_access(learner, module_id())
    stub.pay(session["id"])
    page = success_page(learner_client, session).get_data(as_text=True)
    assert "your payment went through" in page and "access for 365 days" in page
    order = only_order()
    assert order.status == "paid" and order.paid_at is not None and order.stripe_payment_intent_id.startswith("pi_")
    assert has_access(learner, module_id())
    assert access_ends(learner.id, module_id()) - utcnow() > timedelta(days=364)

    completed = stub.state.sessions[session["id"]]
    assert post_event(learner_client, stub, "checkout.session.completed", completed).get_json()["result"] == "processed"
    assert success_page(learner_client, session).status_code == 200
    assert len(entitlements()) == 1


def test_webhook_fulfils_when_the_buyer_never_comes_back(app, learner_client, learner, stub, sample_module):
    session = checkout(learner_client, stub)
    stub.pay(session["id"])
    # The event's copy of the session is stale on purpose: the handler re-reads it from Stripe.
    response = post_event(app.test_client(), stub, "checkout.session.completed", dict(session, status="open"))
    assert response.status_code == 200 and response.get_json()["result"] == "processed"
    assert only_order().status == "paid" and has_access(learner, module_id())
    assert db.session.scalar(select(func.count(WebhookEvent.id))) == 1


def test_the_same_event_twice_has_one_effect(app, learner_client, stub, sample_module):
    session = checkout(learner_client, stub)
    stub.pay(session["id"])
    first = post_event(app.test_client(), stub, "checkout.session.completed", session, event_id="evt_same")
    again = post_event(app.test_client(), stub, "checkout.session.completed", session, event_id="evt_same")
    assert (first.get_json()["result"], again.get_json()["result"]) == ("processed", "duplicate")
    assert len(entitlements()) == 1


def test_receipt_shows_what_was_actually_paid_with_a_promotion_code(learner_client, stub, sample_module):
    session = checkout(learner_client, stub, add_certificate="y")
    stub.pay(session["id"], discount=6300)
    success_page(learner_client, session)
    order = only_order()
    assert (order.amount_subtotal, order.amount_discount, order.amount_total) == (31500, 6300, 25200)
    assert [line.amount_total for line in order.lines] == [21200, 4000]
    receipt = learner_client.get(f"/billing/orders/{order.reference}").get_data(as_text=True)
    assert "<th scope=\"row\">Discount</th><td>−$63</td>" in receipt
    assert "<th scope=\"row\">Total paid</th><td>$252</td>" in receipt
    assert "<th scope=\"row\">Subtotal</th><td>$315</td>" in receipt


def test_org_funded_receipt_is_in_the_organisations_name(learner_client, stub, sample_module):
    session = checkout(learner_client, stub, "org_funded", organisation_name="Clinic of the North")
    address = {"line1": "1 Harbour Road", "city": "Tromsø", "postal_code": "9008", "country": "NO"}
    stub.pay(session["id"], customer_name="Accounts Payable", address=address)
    success_page(learner_client, session)
    order = only_order()
    assert order.billing_address == address and order.billing_name == "Accounts Payable"
    receipt = learner_client.get(f"/billing/orders/{order.reference}").get_data(as_text=True)
    assert "<strong>Clinic of the North</strong>" in receipt
    assert "1 Harbour Road<br>Tromsø<br>9008<br>NO<br>" in receipt
    assert re.search(r'href="/static/css/site\.[0-9a-f]{12}\.css"', receipt) and "data-print-receipt" in receipt


def test_certificate_add_on_with_the_module_grants_both(learner_client, learner, stub, sample_module):
    session = checkout(learner_client, stub, add_certificate="y")
    stub.pay(session["id"])
    success_page(learner_client, session)
    assert has_access(learner, module_id()) and has_entitlement(learner, module_id(), "certificate")


def test_certificate_bought_later(learner_client, learner, stub, sample_module):
    first = checkout(learner_client, stub)
    stub.pay(first["id"])
    success_page(learner_client, first)
    assert not has_entitlement(learner, module_id(), "certificate")
    later = checkout(learner_client, stub, "certificate")
    stub.pay(later["id"])
    success_page(learner_client, later)
    assert has_entitlement(learner, module_id(), "certificate")
    assert buy(learner_client, "certificate").status_code == 422  # not twice


def test_buying_again_before_the_end_extends_from_the_current_end(learner_client, learner, stub, sample_module):
    first = checkout(learner_client, stub)
    stub.pay(first["id"])
    success_page(learner_client, first)
    first_end = access_ends(learner.id, module_id())
    second = checkout(learner_client, stub)
    stub.pay(second["id"])
    success_page(learner_client, second)
    assert access_ends(learner.id, module_id()) == first_end + timedelta(days=365)


@pytest.mark.parametrize(("tier", "seats"), [("institutional", 4), ("teaching", 25)])
def test_seat_orders_call_the_seat_licence_hook_with_the_order(app, learner_client, learner, stub, sample_module,
                                                              tier, seats):
    calls = []

    def record(order, line):
        calls.append((order.reference, order.status, order.organisation_name, line.tier_code, line.quantity))

    session = checkout(learner_client, stub, tier, quantity=str(seats), organisation_name="Northfield Centre")
    stub.pay(session["id"], customer_name="Accounts", address={"line1": "2 Mill Lane", "city": "Leeds",
                                                              "postal_code": "LS1 4AP", "country": "GB"})
    with seat_order_paid.connected_to(record):
        success_page(learner_client, session)
        post_event(app.test_client(), stub, "checkout.session.completed", session)
    order = only_order()
    assert calls == [(order.reference, "paid", "Northfield Centre", tier, seats)]
    assert order.billing_address["city"] == "Leeds"
    receipt = learner_client.get(f"/billing/orders/{order.reference}").get_data(as_text=True)
    assert "<strong>Northfield Centre</strong>" in receipt and "2 Mill Lane<br>Leeds<br>" in receipt
    assert order.status == "paid" and order.amount_total == seats * order.lines[0].unit_amount
    assert entitlements() == [] and not has_access(learner, module_id())


def test_delayed_payment_opens_access_only_when_it_succeeds(app, learner_client, learner, stub, sample_module):
    session = checkout(learner_client, stub)
    stub.pay(session["id"], delayed=True)
    page = success_page(learner_client, session).get_data(as_text=True)
    assert "We are confirming your payment" in page
    post_event(app.test_client(), stub, "checkout.session.completed", session)
    assert only_order().status == "pending" and not has_access(learner, module_id())
    stub.settle(session["id"])
    post_event(app.test_client(), stub, "checkout.session.async_payment_succeeded", session)
    assert only_order().status == "paid" and has_access(learner, module_id())


def test_delayed_payment_that_fails(app, learner_client, learner, stub, sample_module):
    session = checkout(learner_client, stub)
    stub.pay(session["id"], delayed=True)
    stub.settle(session["id"], succeeded=False)
    post_event(app.test_client(), stub, "checkout.session.async_payment_failed", session)
    order = only_order()
    assert order.status == "failed" and not has_access(learner, module_id())
    response = success_page(learner_client, session)
    assert response.status_code == 302 and f"/checkout/failed?order={order.reference}" in response.location
    failed = learner_client.get(response.location).get_data(as_text=True)
    assert "The payment did not go through" in failed and "no access was given" in failed


def test_expired_session(app, learner_client, stub, sample_module):
    session = checkout(learner_client, stub)
    stub.expire(session["id"])
    post_event(app.test_client(), stub, "checkout.session.expired", session)
    assert only_order().status == "expired"
    assert "Checkout not completed" in learner_client.get("/billing/orders").get_data(as_text=True)


def test_the_failed_page_of_an_order_that_did_not_fail_shows_the_order_instead(learner_client, stub, sample_module):
    session = checkout(learner_client, stub)
    reference = only_order().reference
    pending = learner_client.get(f"/checkout/failed?order={reference}")
    assert pending.status_code == 302 and pending.location.endswith(f"/billing/orders/{reference}")
    stub.pay(session["id"])
    success_page(learner_client, session)
    paid = learner_client.get(f"/checkout/failed?order={reference}", follow_redirects=True).get_data(as_text=True)
    assert f"Receipt {reference}" in paid and "nothing was charged" not in paid


def test_events_we_do_not_use_get_200(app, stub, sample_module):
    response = post_event(app.test_client(), stub, "customer.created", {"id": "cus_1", "object": "customer"})
    assert response.status_code == 200 and response.get_json()["result"] == "ignored"


@pytest.mark.parametrize("body", [
    {"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {}}},
    {"id": "evt_2", "type": "checkout.session.completed", "data": {"object": {"id": 123}}},
    {"id": "evt_3", "type": "charge.refunded", "data": {"object": {"id": None}}},
    {"id": {"nested": 1}, "type": "charge.refunded", "data": {"object": {"id": "ch_1"}}},
    {"id": "evt_5", "type": "checkout.session.completed", "data": {"object": "cs_1"}},
    {"id": "evt_6", "type": "checkout.session.completed"},
    [1, 2],
    "just a string",
], ids=["no object id", "numeric id", "null id", "object event id", "object is a string", "no data", "a list",
        "a string"])
def test_signed_bodies_of_the_wrong_shape_get_400_and_change_nothing(app, stub, sample_module, body):
    payload = json.dumps(body).encode()
    response = app.test_client().post("/billing/stripe/webhook", data=payload,
                                      headers={"Stripe-Signature": stub.sign(payload)})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(WebhookEvent.id))) == 0


def test_events_without_a_usable_type_are_ignored(app, stub, sample_module):
    for body in ({"id": "evt_1", "data": {"object": {"id": "x"}}}, {"id": "evt_2", "type": ["x"], "data": {}}):
        payload = json.dumps(body).encode()
        response = app.test_client().post("/billing/stripe/webhook", data=payload,
                                          headers={"Stripe-Signature": stub.sign(payload)})
        assert response.status_code == 200 and response.get_json()["result"] == "ignored"


def sign_with(stub, payload: bytes, **kwargs) -> str:
    return stub.sign(payload, **kwargs)


@pytest.mark.parametrize("forgery", ["wrong secret", "stale", "from the future", "tampered body", "no header",
                                     "garbage header"])
def test_bad_signatures_get_400_and_change_nothing(app, learner_client, stub, sample_module, forgery):
    session = checkout(learner_client, stub)
    stub.pay(session["id"])
    payload = stub.event("checkout.session.completed", session)
    headers = {"Stripe-Signature": stub.sign(payload)}
    if forgery == "wrong secret":
        headers["Stripe-Signature"] = stub.sign(payload, secret="whsec_other")
    elif forgery == "stale":
        headers["Stripe-Signature"] = stub.sign(payload, timestamp=int(utcnow().timestamp()) - 3600)
    elif forgery == "from the future":  # Stripe's SDK checks only the age; a replay dated ahead would outlive it
        headers["Stripe-Signature"] = stub.sign(payload, timestamp=int(utcnow().timestamp()) + 301 + 60)
    elif forgery == "tampered body":
        payload = payload.replace(b'"livemode": false', b'"livemode": true')
    elif forgery == "no header":
        headers = {}
    else:
        headers["Stripe-Signature"] = "t=oops,v1=nothing"
    response = app.test_client().post("/billing/stripe/webhook", data=payload, headers=headers)
    assert response.status_code == 400
    assert only_order().status == "pending" and entitlements() == []
    assert db.session.scalar(select(func.count(WebhookEvent.id))) == 0


def test_success_page_while_stripe_is_down_promises_nothing_and_grants_nothing(learner_client, learner, stub,
                                                                               sample_module):
    session = checkout(learner_client, stub)
    stub.pay(session["id"])
    stub.fail_next(500)
    page = success_page(learner_client, session).get_data(as_text=True)
    assert "could not confirm the payment" in page and "We are confirming your payment" in page
    assert only_order().status == "pending" and not has_access(learner, module_id())
    assert "your payment went through" in success_page(learner_client, session).get_data(as_text=True)


def test_webhook_while_stripe_is_down_is_retried_by_stripe(app, learner_client, learner, stub, sample_module):
    session = checkout(learner_client, stub)
    stub.pay(session["id"])
    stub.stall_next(STALL_PAST_TIMEOUT)
    response = post_event(app.test_client(), stub, "checkout.session.completed", session, event_id="evt_retry")
    assert response.status_code == 503
    assert db.session.scalar(select(func.count(WebhookEvent.id))) == 0 and not has_access(learner, module_id())
    response = post_event(app.test_client(), stub, "checkout.session.completed", session, event_id="evt_retry")
    assert response.status_code == 200 and has_access(learner, module_id())


def test_a_session_that_charges_something_else_grants_nothing_and_alerts_the_admins(
        app, learner_client, learner, stub, mailbox, sample_module):
    admin = make_user("admin@example.org", role="admin")
    make_user("editor@example.org", role="editor")
    session = checkout(learner_client, stub)
    stub.pay(session["id"])
    stub.state.sessions[session["id"]]["amount_subtotal"] = 100
    response = post_event(app.test_client(), stub, "checkout.session.completed", session)
    # On record and the admins mailed: Stripe need not (and should not) deliver it again and again.
    assert response.status_code == 200 and response.get_json()["result"] == "needs_review"
    response = success_page(learner_client, session)
    page = response.get_data(as_text=True)
    assert "Your payment needs a closer look" in page
    assert "We have alerted our staff" in page and "You do not need to pay again." in page
    assert "your payment went through" not in page
    order = only_order()
    assert order.status == "pending" and not has_access(learner, module_id())

    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "billing.fulfilment_mismatch")).all()
    assert event.target == f"orders:{order.id}"
    assert event.details["session_id"] == session["id"] and event.details["order"] == order.reference
    assert event.details["reason"] == "its subtotal is 100, not 26500 (cents)"
    assert event.details["payment_intent"].startswith("pi_")
    (alert,) = mailbox.received  # once, to the admin only, however often it was reported
    assert alert.envelope_to == [admin.email]
    assert f"order {order.reference} was paid but does not match" in alert.subject
    assert session["id"] in alert.text and "its subtotal is 100, not 26500 (cents)" in alert.text


def test_nobody_else_can_see_the_success_page_or_receipt(app, learner_client, stub, sample_module):
    session = checkout(learner_client, stub)
    stub.pay(session["id"])
    success_page(learner_client, session)
    reference = only_order().reference
    other = login_as(app, make_user("other@example.org"))
    assert success_page(other, session).status_code == 404
    assert other.get(f"/billing/orders/{reference}").status_code == 404
    assert other.get(f"/checkout/failed?order={reference}").status_code == 404
    assert reference not in other.get("/billing/orders").get_data(as_text=True)


@pytest.mark.parametrize("outcome", ["pending", "expired", "failed"])
def test_an_unpaid_order_has_a_status_page_not_a_receipt(app, learner_client, stub, sample_module, outcome):
    session = checkout(learner_client, stub, add_certificate="y")
    if outcome == "expired":
        stub.expire(session["id"])
        post_event(app.test_client(), stub, "checkout.session.expired", session)
    elif outcome == "failed":
        stub.pay(session["id"], delayed=True)
        stub.settle(session["id"], succeeded=False)
        post_event(app.test_client(), stub, "checkout.session.async_payment_failed", session)
    order = only_order()
    assert order.status == outcome
    listing = learner_client.get("/billing/orders").get_data(as_text=True)
    label = {"pending": "Awaiting payment", "expired": "Checkout not completed", "failed": "Payment failed"}[outcome]
    assert f'<a href="/billing/orders/{order.reference}">{order.reference}</a>' in listing and label in listing
    response = learner_client.get(f"/billing/orders/{order.reference}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"Order {order.reference}" in page and f"Status: <strong>{label}</strong>" in page
    assert "Receipt" not in page and "paid" not in page.lower().replace("unpaid", "")
    assert "$315" in page


def test_a_refunded_order_keeps_its_receipt(app, learner_client, stub, sample_module):
    session = checkout(learner_client, stub)
    charge = stub.pay(session["id"])
    success_page(learner_client, session)
    post_event(app.test_client(), stub, "charge.refunded", stub.refund(charge["id"]))
    page = learner_client.get(f"/billing/orders/{only_order().reference}").get_data(as_text=True)
    assert "Receipt " in page and "<th scope=\"row\">Refunded</th><td>−$265</td>" in page


def test_the_success_page_of_a_paid_order_does_not_ask_stripe_again(learner_client, stub, sample_module):
    session = checkout(learner_client, stub)
    stub.pay(session["id"])
    success_page(learner_client, session)
    asked = len(stub.state.requests)
    stub.fail_next(500)  # would show "could not confirm" if Stripe were asked
    page = success_page(learner_client, session).get_data(as_text=True)
    assert "your payment went through" in page and "could not confirm" not in page
    assert len(stub.state.requests) == asked
    stub.state.faults.clear()
