"""The test and certificate are bought once: a second checkout is refused while one is open, and a second payment
that slips through anyway is recorded for a refund instead of extending the certificate."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from coursesite.accounts.models import AuditEvent
from coursesite.billing.access import has_access, has_entitlement
from coursesite.billing.models import Entitlement, Order
from coursesite.extensions import db
from tests.billing.test_refunds import paid
from tests.factories import make_user, module_id
from tests.support import buy


def certificates() -> list[Entitlement]:
    return list(db.session.scalars(select(Entitlement).where(Entitlement.kind == "certificate")
                                   .execution_options(populate_existing=True)))


def orders() -> list[Order]:
    return list(db.session.scalars(select(Order).order_by(Order.id).execution_options(populate_existing=True)))


def age(order: Order, hours: int) -> None:
    db.session.execute(update(Order).where(Order.id == order.id)
                       .values(created_at=order.created_at - timedelta(hours=hours)))
    db.session.commit()


def test_a_second_certificate_checkout_is_refused_while_one_is_open(learner_client, learner, stub, sample_module):
    paid(learner_client, stub)
    assert buy(learner_client, "certificate").status_code == 303
    open_session = stub.last_session()
    response = buy(learner_client, "certificate")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    reference = orders()[-1].reference
    assert (f"You already have a checkout open for the test and certificate of this module (order {reference}). "
            "Please complete that one, or wait until it expires (24 hours after it was opened) to start another."
            ) in page
    assert f'<a class="button" href="{open_session["url"]}">Continue that checkout</a>' in page
    assert len(stub.created_sessions()) == 2  # the access, and the one open certificate checkout
    # The add-on with a renewal is the same certificate; a renewal alone is fine.
    assert buy(learner_client, "self_funded", add_certificate="y").status_code == 422
    assert buy(learner_client, "self_funded").status_code == 303

    stub.expire(open_session["id"])  # Stripe says it can no longer be paid, even before its webhook arrives
    assert buy(learner_client, "certificate").status_code == 303


def test_an_old_pending_order_no_longer_blocks(learner_client, stub, sample_module):
    paid(learner_client, stub)
    assert buy(learner_client, "certificate").status_code == 303
    age(orders()[-1], 25)
    assert buy(learner_client, "certificate").status_code == 303


def test_a_certificate_paid_twice_is_recorded_for_refund_not_extended(app, learner_client, learner, stub, mailbox,
                                                                     sample_module):
    admin = make_user("admin@example.org", role="admin")
    paid(learner_client, stub)
    assert buy(learner_client, "certificate").status_code == 303
    first = stub.last_session()
    age(orders()[-1], 25)  # beyond the lifetime we assume, yet Stripe still lets it be paid
    assert buy(learner_client, "certificate").status_code == 303
    second = stub.last_session()
    for session in (first, second):
        stub.pay(session["id"])
        learner_client.get(f"/checkout/success?session_id={session['id']}")
    _, one, two = orders()
    assert (one.status, two.status) == ("paid", "paid")
    (certificate,) = certificates()
    assert certificate.source_ref == one.lines[0].entitlement_ref
    assert has_entitlement(learner, module_id(), "certificate")

    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "billing.duplicate_payment")).all()
    assert event.target == f"orders:{two.id}" and event.details["session_id"] == second["id"]
    assert event.details["reason"] == (f"Test and certificate ($50) was already held for this module when order "
                                       f"{two.reference} was paid")
    alerts = mailbox.to(admin.email)
    assert len(alerts) == 1 and f"Refund needed: order {two.reference}" in alerts[0].subject
    assert event.details["payment_intent"] in alerts[0].text


def test_a_renewal_with_the_add_on_paid_twice_renews_but_flags_the_certificate(app, learner_client, learner, stub,
                                                                              mailbox, sample_module):
    make_user("admin@example.org", role="admin")
    assert buy(learner_client, "self_funded", add_certificate="y").status_code == 303
    first = stub.last_session()
    age(orders()[-1], 25)
    assert buy(learner_client, "self_funded", add_certificate="y").status_code == 303
    second = stub.last_session()
    for session in (first, second):
        stub.pay(session["id"])
        learner_client.get(f"/checkout/success?session_id={session['id']}")
    access = db.session.scalars(select(Entitlement).where(Entitlement.kind == "access")
                                .order_by(Entitlement.valid_from)).all()
    assert len(access) == 2 and access[1].valid_from == access[0].valid_until  # the second year is a renewal
    assert len(certificates()) == 1 and has_access(learner, module_id())
    assert db.session.scalar(select(AuditEvent.target).where(AuditEvent.action == "billing.duplicate_payment")) \
        == f"orders:{orders()[1].id}"
