"""Without Stripe keys: the app's own TEST MODE checkout, whose payment goes through the signed webhook."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from coursesite import create_app
from coursesite.billing.access import has_access, has_entitlement
from coursesite.billing.hooks import seat_order_paid
from coursesite.billing.models import WebhookEvent
from coursesite.extensions import db
from tests.factories import make_user, module_id
from tests.support import CSRF_INPUT, buy, csrf_token, login_as, only_order, post_event


@pytest.fixture
def app_overrides() -> dict:
    return {}  # no Stripe keys: test mode


def checkout_page_url(client, response) -> str:
    """The TEST MODE page the checkout redirected to."""
    assert response.status_code == 303 and response.location.startswith("/checkout/test/cs_test_")
    page = client.get(response.location)
    assert page.status_code == 200
    return response.location


def pay(client, url: str, card: str = "4242 4242 4242 4242", **fields):
    return client.post(url, data={"csrf_token": csrf_token(client, url), "card_number": card, **fields})


def test_a_learner_buys_access_with_the_test_card(learner_client, learner, sample_module):
    url = checkout_page_url(learner_client, buy(learner_client, "self_funded", add_certificate="y"))
    page = learner_client.get(url).get_data(as_text=True)
    assert "<strong>TEST MODE</strong>" in page and 'name="card_number"' in page
    assert '<label for="card_number">Card number</label>' in page and "$315" in page
    response = pay(learner_client, url)
    assert response.status_code == 302 and "/checkout/success?session_id=cs_test_" in response.location
    assert "your payment went through" in learner_client.get(response.location).get_data(as_text=True)
    order = only_order()
    assert order.status == "paid" and order.amount_total == 31500
    assert has_access(learner, module_id()) and has_entitlement(learner, module_id(), "certificate")
    # The same fulfilment ran through the webhook: the event was recorded.
    assert db.session.scalar(select(WebhookEvent.type)) == "checkout.session.completed"
    assert learner_client.get(url).status_code == 302  # a paid session's page sends you on


def test_the_declined_card_is_declined(learner_client, learner, sample_module):
    url = checkout_page_url(learner_client, buy(learner_client, "self_funded"))
    response = pay(learner_client, url, card="4000 0000 0000 0002")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Your card was declined" in page and 'id="card_number-error"' in page
    assert only_order().status == "pending" and not has_access(learner, module_id())
    for card in ("1234", "4111 1111 1111 1111", ""):
        assert pay(learner_client, url, card=card).status_code == 422
    assert only_order().status == "pending"
    assert pay(learner_client, url).status_code == 302 and has_access(learner, module_id())


def test_org_funded_asks_for_the_billing_address_and_prints_it_on_the_receipt(learner_client, sample_module):
    url = checkout_page_url(learner_client, buy(learner_client, "org_funded", organisation_name="Clinic of the North"))
    assert "Billing address of Clinic of the North" in learner_client.get(url).get_data(as_text=True)
    missing = pay(learner_client, url)
    assert missing.status_code == 422 and "Enter the street address." in missing.get_data(as_text=True)
    assert only_order().status == "pending"
    pay(learner_client, url, billing_name="Accounts Payable", line1="1 Harbour Road", city="Tromsø",
        postal_code="9008", country="GB")
    order = only_order()
    assert order.status == "paid" and order.billing_address["city"] == "Tromsø"
    receipt = learner_client.get(f"/billing/orders/{order.reference}").get_data(as_text=True)
    assert "Clinic of the North" in receipt and "1 Harbour Road" in receipt and "Accounts Payable" in receipt


@pytest.mark.parametrize(("tier", "seats"), [("institutional", "4"), ("teaching", "10")])
def test_seat_tiers_in_test_mode(learner_client, learner, sample_module, tier, seats):
    calls = []
    url = checkout_page_url(learner_client, buy(learner_client, tier, quantity=seats, organisation_name="Northfield"))
    assert "Billing address of Northfield" in learner_client.get(url).get_data(as_text=True)
    assert pay(learner_client, url).status_code == 422  # the address is required
    with seat_order_paid.connected_to(lambda order, line: calls.append((order.reference, line.quantity))):
        pay(learner_client, url, billing_name="Accounts", line1="2 Mill Lane", city="Leeds", postal_code="LS1 4AP",
            country="GB")
    order = only_order()
    assert order.status == "paid" and calls == [(order.reference, int(seats))]
    assert (order.organisation_name, order.billing_address["city"]) == ("Northfield", "Leeds")
    assert not has_access(learner, module_id())


def test_the_certificate_bought_later_in_test_mode(learner_client, learner, sample_module):
    pay(learner_client, checkout_page_url(learner_client, buy(learner_client, "self_funded")))
    assert not has_entitlement(learner, module_id(), "certificate")
    pay(learner_client, checkout_page_url(learner_client, buy(learner_client, "certificate")))
    assert has_entitlement(learner, module_id(), "certificate")


def test_the_test_mode_webhook_still_checks_signatures(app, learner_client, stub, sample_module):
    url = checkout_page_url(learner_client, buy(learner_client, "self_funded"))
    session_id = re.search(r"cs_test_\w+", url).group(0)
    response = post_event(app.test_client(), stub, "checkout.session.completed", {"id": session_id},
                          secret="whsec_guessed")
    assert response.status_code == 400 and only_order().status == "pending"


def test_someone_elses_test_checkout_is_404(app, learner_client, sample_module):
    url = checkout_page_url(learner_client, buy(learner_client, "self_funded"))
    assert login_as(app, make_user("other@example.org")).get(url).status_code == 404


def test_production_refuses_test_mode(migrated, tmp_path, learner_client, sample_module):
    url = checkout_page_url(learner_client, buy(learner_client, "self_funded"))
    production = create_app("production", {"SECRET_KEY": "p" * 64, "SQLALCHEMY_DATABASE_URI": migrated,
                                           "RATELIMIT_ENABLED": False, "MEDIA_ROOT": str(tmp_path)})
    with production.app_context():
        from coursesite.accounts.models import User

        user = db.session.scalar(select(User))
        client = login_as(production, user)
        assert client.get(url, base_url="https://localhost").status_code == 404
        review = client.get("/checkout/sample-module/self_funded", base_url="https://localhost")
        token = CSRF_INPUT.search(review.get_data(as_text=True)).group(1)
        response = client.post("/checkout/sample-module/self_funded", data={"csrf_token": token},
                               base_url="https://localhost", headers={"Referer": "https://localhost/"})
        assert response.status_code == 503
        assert "Online payments are not available" in response.get_data(as_text=True)
        db.session.remove()
