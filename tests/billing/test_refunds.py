"""charge.refunded takes back what the refunded amount paid for; refunds may arrive before the purchase."""
from __future__ import annotations

from sqlalchemy import select

from coursesite.billing.access import has_access, has_entitlement
from coursesite.billing.fulfilment import refunded_units
from coursesite.billing.hooks import seat_order_refunded
from coursesite.billing.models import Entitlement, OrderLine
from coursesite.extensions import db
from tests.factories import module_id
from tests.support import buy, only_order, post_event


def paid(client, stub, tier="self_funded", **fields) -> dict:
    """Buy, pay and fulfil through the success page; returns the Stripe charge."""
    assert buy(client, tier, **fields).status_code == 303
    session = stub.last_session()
    charge = stub.pay(session["id"])
    client.get(f"/checkout/success?session_id={session['id']}")
    return charge


def refund(app, stub, charge: dict, amount: int | None = None, event_id: str | None = None):
    refunded = stub.refund(charge["id"], amount)
    return post_event(app.test_client(), stub, "charge.refunded", refunded, event_id=event_id)


def test_full_refund_revokes_access(app, learner_client, learner, stub, sample_module):
    charge = paid(learner_client, stub)
    assert refund(app, stub, charge).status_code == 200
    order = only_order()
    assert (order.status, order.amount_refunded) == ("refunded", 26500)
    assert not has_access(learner, module_id())
    revoked = db.session.scalar(select(Entitlement))
    assert revoked.revoked_reason == f"refund of order {order.reference}"


def test_small_goodwill_refund_keeps_access(app, learner_client, learner, stub, sample_module):
    charge = paid(learner_client, stub)
    refund(app, stub, charge, 1500)
    assert only_order().status == "partially_refunded" and has_access(learner, module_id())
    refund(app, stub, charge)  # the rest
    assert only_order().status == "refunded" and not has_access(learner, module_id())


def test_refunding_the_certificate_add_on_keeps_access(app, learner_client, learner, stub, sample_module):
    charge = paid(learner_client, stub, add_certificate="y")
    refund(app, stub, charge, 5000)
    assert only_order().status == "partially_refunded"
    assert has_access(learner, module_id()) and not has_entitlement(learner, module_id(), "certificate")


def test_partial_refund_of_seats_reduces_the_seats(app, learner_client, stub, sample_module):
    calls = []

    def record(order, line, seats_kept):
        calls.append((order.reference, line.quantity, seats_kept))

    charge = paid(learner_client, stub, "institutional", quantity="8", organisation_name="Clinic")
    with seat_order_refunded.connected_to(record):
        refund(app, stub, charge, 2 * 13500)
        refund(app, stub, charge, 6 * 13500)
    reference = only_order().reference
    assert calls == [(reference, 8, 6), (reference, 8, 0)]
    line = db.session.scalar(select(OrderLine).execution_options(populate_existing=True))
    assert (line.units_refunded, line.units_kept) == (8, 0)
    assert only_order().status == "refunded"


def test_refund_delivered_before_the_purchase_ends_refunded_with_no_access(app, learner_client, learner, stub,
                                                                          sample_module):
    assert buy(learner_client).status_code == 303
    session = stub.last_session()
    charge = stub.pay(session["id"])
    assert refund(app, stub, charge).status_code == 200
    order = only_order()
    assert (order.status, order.amount_refunded) == ("refunded", 26500)
    assert not has_access(learner, module_id())
    post_event(app.test_client(), stub, "checkout.session.completed", session)
    learner_client.get(f"/checkout/success?session_id={session['id']}")
    assert only_order().status == "refunded" and not has_access(learner, module_id())
    assert len(db.session.scalars(select(Entitlement)).all()) == 1


def test_the_same_refund_event_twice_changes_nothing_more(app, learner_client, stub, sample_module):
    charge = paid(learner_client, stub, "teaching", quantity="10", organisation_name="School")
    first = refund(app, stub, charge, 8500, event_id="evt_refund")
    again = post_event(app.test_client(), stub, "charge.refunded", charge, event_id="evt_refund")
    assert (first.get_json()["result"], again.get_json()["result"]) == ("processed", "duplicate")
    assert only_order().amount_refunded == 8500


def test_refund_of_a_charge_that_is_not_ours_is_ignored(app, stub, sample_module):
    stub.state.charges["ch_other"] = {"id": "ch_other", "object": "charge", "amount": 100, "amount_refunded": 100,
                                      "payment_intent": "pi_other", "refunded": True}
    response = post_event(app.test_client(), stub, "charge.refunded", stub.state.charges["ch_other"])
    assert response.status_code == 200


def test_refunded_units_count_a_unit_once_its_whole_price_is_back():
    main = OrderLine(id=1, quantity=8, amount_total=80000)
    addon = OrderLine(id=2, quantity=1, amount_total=5000)
    assert refunded_units([main, addon], 4999, 85000) == {2: 0, 1: 0}
    assert refunded_units([main, addon], 5000, 85000) == {2: 1, 1: 0}
    assert refunded_units([main, addon], 25000, 85000) == {2: 1, 1: 2}
    assert refunded_units([main, addon], 85000, 85000) == {2: 1, 1: 8}
    free = OrderLine(id=3, quantity=1, amount_total=0)
    assert refunded_units([free], 0, 0) == {3: 1}
