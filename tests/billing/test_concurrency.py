"""Deliveries at the same moment, each request in its own thread (own app context, session and connection).

On PostgreSQL the losers wait on the row lock or the unique index and then find the work done; on SQLite they wait
for the single writer. Either way there is exactly one effect.
"""
from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from coursesite.billing.access import has_access
from coursesite.billing.models import Entitlement, WebhookEvent
from coursesite.extensions import db
from tests.factories import module_id
from tests.support import buy, login_as, only_order


def all_at_once(*calls):
    """Run the calls in threads released together; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list = []

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - reported below, with the thread that raised it
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def webhook_call(app, payload: bytes, signature: str):
    def call():
        response = app.test_client().post("/billing/stripe/webhook", data=payload,
                                          headers={"Stripe-Signature": signature})
        return response.status_code, response.get_json()["result"]
    return call


def success_call(app, user, session_id: str):
    client = login_as(app, user)  # logged in here: the user object belongs to this thread's session

    def call():
        return client.get(f"/checkout/success?session_id={session_id}").status_code
    return call


def entitlement_rows() -> list[Entitlement]:
    return list(db.session.scalars(select(Entitlement).execution_options(populate_existing=True)))


def test_the_same_event_three_times_at_once_and_the_success_page_grant_once(app, learner_client, learner, stub,
                                                                            sample_module):
    assert buy(learner_client).status_code == 303
    session = stub.last_session()
    stub.pay(session["id"])
    payload = stub.event("checkout.session.completed", session, event_id="evt_thrice")
    signature = stub.sign(payload)
    results = all_at_once(*[webhook_call(app, payload, signature) for _ in range(3)],
                          *[success_call(app, learner, session["id"]) for _ in range(2)])
    assert Counter(results[:3]) == Counter({(200, "processed"): 1, (200, "duplicate"): 2})
    assert results[3:] == [200, 200]
    db.session.expire_all()
    assert only_order().status == "paid"
    assert len(entitlement_rows()) == 1 and has_access(learner, module_id())
    assert db.session.scalar(select(func.count(WebhookEvent.id))) == 1


def test_refund_before_purchase_delivered_concurrently_three_times_each(app, learner_client, learner, stub,
                                                                        sample_module):
    assert buy(learner_client).status_code == 303
    session = stub.last_session()
    charge = stub.refund(stub.pay(session["id"])["id"])
    refunded = stub.event("charge.refunded", charge, event_id="evt_refund")
    completed = stub.event("checkout.session.completed", session, event_id="evt_completed")
    calls = [webhook_call(app, refunded, stub.sign(refunded)) for _ in range(3)]
    calls += [webhook_call(app, completed, stub.sign(completed)) for _ in range(3)]
    results = all_at_once(*calls)
    assert all(status == 200 for status, _ in results)
    assert sorted(result for _, result in results).count("processed") == 2
    db.session.expire_all()
    order = only_order()
    assert (order.status, order.amount_refunded) == ("refunded", 26500)
    rows = entitlement_rows()
    assert len(rows) == 1 and rows[0].revoked_at is not None
    assert not has_access(learner, module_id())


def test_two_purchases_paid_at_the_same_moment_chain_their_windows(app, learner_client, learner, stub, sample_module):
    sessions = []
    for _ in range(2):
        assert buy(learner_client).status_code == 303
        sessions.append(stub.last_session())
        stub.pay(sessions[-1]["id"])
    calls = []
    for session in sessions:
        payload = stub.event("checkout.session.completed", session)
        calls.append(webhook_call(app, payload, stub.sign(payload)))
    all_at_once(*calls)
    first, second = sorted(entitlement_rows(), key=lambda row: row.valid_from)
    assert second.valid_from == first.valid_until


def test_a_staff_grant_and_a_purchase_at_the_same_moment_chain(app, learner_client, learner, stub, sample_module):
    """Both take the buyer's lock in grant_entitlement, so neither reads coverage the other is about to change."""
    from coursesite.billing import grants

    assert buy(learner_client).status_code == 303
    session = stub.last_session()
    stub.pay(session["id"])
    payload = stub.event("checkout.session.completed", session)

    def staff_grant():
        with app.app_context():
            grants.grant_access(learner.email, "sample-module", 30, None)
            db.session.remove()

    all_at_once(webhook_call(app, payload, stub.sign(payload)), staff_grant)
    first, second = sorted(entitlement_rows(), key=lambda row: row.valid_from)
    assert second.valid_from == first.valid_until
    assert {first.source, second.source} == {"order", "grant"}
