"""Starting a Stripe Checkout: what is asked of Stripe, and what bad input and Stripe faults leave behind."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from coursesite.billing.access import has_access
from coursesite.billing.models import Order, PriceTier
from coursesite.extensions import db
from tests.factories import grant_access, make_user, module_id
from tests.stripe_stub import STALL_PAST_TIMEOUT
from tests.support import BUY_PAGE, buy, csrf_token, login_as, make_app, only_order


def order_count() -> int:
    return db.session.scalar(select(func.count(Order.id)))


def test_self_funded_checkout_asks_stripe_for_the_tier_price_with_promotion_codes(learner_client, stub,
                                                                                    sample_module):
    response = buy(learner_client, "self_funded", price="1", amount="1", unit_amount="1")
    assert response.status_code == 303
    session = stub.last_session()
    assert response.headers["Location"] == session["url"]
    (params,) = stub.created_sessions()
    assert params["mode"] == "payment" and params["allow_promotion_codes"] == "true"
    assert params["line_items"] == [{"quantity": "1", "price_data": {
        "currency": "usd", "unit_amount": "26500", "product_data": {"name": "A Sample Module: Self-funded"}}}]
    assert params["success_url"].endswith("/checkout/success?session_id={CHECKOUT_SESSION_ID}")
    assert params["customer_email"] == "learner@example.org"
    order = only_order()
    assert (order.status, order.amount_total, order.stripe_checkout_session_id) == ("pending", 26500, session["id"])
    assert params["client_reference_id"] == order.reference


def test_checkout_sends_an_idempotency_key(learner_client, stub, sample_module):
    buy(learner_client, "self_funded")
    headers = stub.state.requests[-1][3]
    assert headers["Idempotency-Key"] == f"checkout-{only_order().reference}"


def test_certificate_add_on_is_a_second_line(learner_client, stub, sample_module):
    buy(learner_client, "self_funded", add_certificate="y")
    (params,) = stub.created_sessions()
    assert [(item["price_data"]["unit_amount"], item["quantity"]) for item in params["line_items"]] == [
        ("26500", "1"), ("5000", "1")]
    assert only_order().amount_subtotal == 31500


def test_org_funded_collects_the_organisation_and_billing_address(learner_client, stub, sample_module):
    response = buy(learner_client, "org_funded", organisation_name="  Clinic of the North  ")
    assert response.status_code == 303
    (params,) = stub.created_sessions()
    assert params["billing_address_collection"] == "required"
    assert params["line_items"][0]["price_data"]["unit_amount"] == "28000"
    assert only_order().organisation_name == "Clinic of the North"


def test_org_funded_without_organisation_name_is_refused_on_the_field(learner_client, stub, sample_module):
    response = buy(learner_client, "org_funded", organisation_name=" ")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="organisation_name-error"' in page and "Enter the name of the organisation" in page
    assert 'aria-describedby="organisation_name-hint organisation_name-error"' in page
    assert order_count() == 0 and stub.created_sessions() == []


@pytest.mark.parametrize(("tier", "quantity", "unit"), [("institutional", 4, "13500"), ("teaching", 10, "8500"),
                                                        ("institutional", 1000, "13500")])
def test_seat_tiers_send_the_quantity(learner_client, stub, sample_module, tier, quantity, unit):
    assert buy(learner_client, tier, quantity=str(quantity), organisation_name="Northfield Centre").status_code == 303
    (params,) = stub.created_sessions()
    assert params["line_items"][0]["quantity"] == str(quantity)
    assert params["billing_address_collection"] == "required"
    assert only_order().organisation_name == "Northfield Centre"
    assert params["line_items"][0]["price_data"]["unit_amount"] == unit


@pytest.mark.parametrize("tier", ["institutional", "teaching"])
def test_seat_tiers_need_the_organisation_name(learner_client, stub, sample_module, tier):
    response = buy(learner_client, tier, quantity="12", organisation_name="  ")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="organisation_name-error"' in page and "Enter the name of the organisation the seats are for." in page
    assert order_count() == 0 and stub.created_sessions() == []
    review = learner_client.get(f"/checkout/sample-module/{tier}?quantity=12").get_data(as_text=True)
    assert '<label for="organisation_name">Organisation name</label>' in review


@pytest.mark.parametrize(("tier", "quantity"), [("institutional", "3"), ("teaching", "9"), ("institutional", "1001"),
                                                ("teaching", "-10"), ("institutional", "four"), ("teaching", "")])
def test_seat_quantity_outside_the_rules_is_refused(learner_client, stub, sample_module, tier, quantity):
    response = buy(learner_client, tier, quantity=quantity, organisation_name="Northfield Centre")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="quantity-error"' in page and 'aria-invalid="true"' in page
    assert order_count() == 0 and stub.created_sessions() == []


def test_single_seat_tiers_ignore_a_tampered_quantity(learner_client, stub, sample_module):
    assert buy(learner_client, "self_funded", quantity="50").status_code == 303
    (params,) = stub.created_sessions()
    assert params["line_items"][0]["quantity"] == "1"


def test_a_tier_or_module_not_on_sale_is_404(app, learner_client, stub, sample_module):
    token = csrf_token(learner_client, BUY_PAGE)
    assert learner_client.post("/checkout/sample-module/free", data={"csrf_token": token}).status_code == 404
    assert learner_client.post("/checkout/no-module/self_funded", data={"csrf_token": token}).status_code == 404
    db.session.execute(PriceTier.__table__.update().where(PriceTier.code == "teaching").values(active=False))
    db.session.commit()
    response = learner_client.post("/checkout/sample-module/teaching", data={"csrf_token": token, "quantity": "10",
                                                                             "organisation_name": "School"})
    assert response.status_code == 404 and "not on sale" in response.get_data(as_text=True)
    assert order_count() == 0 and stub.created_sessions() == []


def test_certificate_alone_needs_access_first(learner_client, stub, sample_module):
    response = buy(learner_client, "certificate")
    assert response.status_code == 422
    assert "buy access first" in response.get_data(as_text=True)
    assert order_count() == 0


def test_checkout_needs_csrf_and_a_login(app, client, learner_client, stub, sample_module):
    assert learner_client.post("/checkout/sample-module/self_funded").status_code == 400
    assert client.post("/checkout/sample-module/self_funded", data={"csrf_token": "x"}).status_code in (400, 401)
    assert order_count() == 0


@pytest.mark.parametrize(("status", "message"), [
    (402, ("The payment service refused to start this payment. Please try again later, or contact us if it keeps "
           "happening. You have not been charged.")),
    (429, "The payment service is busy right now. Please try again in a minute. You have not been charged."),
    (500, "The payment service could not handle the request. Please try again later. You have not been charged."),
])
def test_stripe_errors_leave_no_order_and_say_so(learner_client, stub, sample_module, learner, status, message):
    stub.fail_next(status)
    response = buy(learner_client, "self_funded")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert f'<div class="form-errors" role="alert"><p>{message}</p></div>' in page
    assert "declined" not in page
    assert order_count() == 0
    assert not has_access(learner, module_id())


def test_stripe_timeout_leaves_no_order(learner_client, stub, sample_module):
    stub.stall_next(STALL_PAST_TIMEOUT)
    response = buy(learner_client, "self_funded")
    assert response.status_code == 503
    assert ('<div class="form-errors" role="alert"><p>We could not reach the payment service. Please try again in a '
            'few minutes. You have not been charged.</p></div>') in response.get_data(as_text=True)
    assert order_count() == 0


def test_stripe_unreachable_leaves_no_order(app, learner_client, stub, sample_module):
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"
    app.extensions.pop("billing_gateway", None)
    response = buy(learner_client, "self_funded")
    assert response.status_code == 503 and order_count() == 0


def test_pricing_box_buy_forms_lead_to_the_checkout_page(app, learner, sample_module):
    page = app.test_client().get("/modules/sample-module").get_data(as_text=True)
    for tier in ("self_funded", "org_funded", "institutional", "teaching"):
        assert f'method="get" action="/checkout/sample-module/{tier}"' in page
    # The certificate alone goes with access (the checkout refuses it otherwise): its form is for holders of access.
    assert 'action="/checkout/sample-module/certificate"' not in page
    holder = make_user("holder@example.org")
    grant_access(holder)
    held = login_as(app, holder).get("/modules/sample-module").get_data(as_text=True)
    assert 'method="get" action="/checkout/sample-module/certificate"' in held
    assert 'id="institutional-quantity" name="quantity" type="number"' in page and 'min="4"' in page
    assert 'id="teaching-quantity"' in page and 'min="10"' in page and 'max="1000"' in page
    assert '<label for="self_funded-certificate">Add the test and certificate ($50)</label>' in page
    assert "csrf_token" not in page  # the module body is cached for everyone

    review = login_as(app, learner).get("/checkout/sample-module/institutional?quantity=12")
    assert review.status_code == 200
    html = review.get_data(as_text=True)
    assert 'name="csrf_token"' in html and 'value="12"' in html and "Continue to payment" in html
    org = login_as(app, learner).get("/checkout/sample-module/org_funded?add_certificate=y").get_data(as_text=True)
    assert '<label for="organisation_name">Organisation name</label>' in org
    assert 'checked id="add_certificate" name="add_certificate" type="checkbox"' in org


def test_checkout_page_sends_visitors_to_log_in(client, sample_module):
    response = client.get("/checkout/sample-module/self_funded")
    assert response.status_code == 302
    assert response.location == "/auth/login?next=%2Fcheckout%2Fsample-module%2Fself_funded"


@pytest.fixture
def limited_app(app, migrated, tmp_path, smtp_server, app_overrides):
    """The app with rate limits on (fresh in-memory counters), on the test database ``app`` cleans up."""
    limited = make_app(migrated, tmp_path, RATELIMIT_ENABLED=True, **smtp_server.settings, **app_overrides)
    with limited.app_context():
        yield limited
        db.session.remove()


def test_checkout_posts_are_limited_to_ten_a_minute_per_buyer(limited_app, stub, sample_module):
    first = login_as(limited_app, make_user("a@example.org"))
    url = "/checkout/sample-module/org_funded"
    token = csrf_token(first, url)
    # Refused for the missing organisation name, so no Stripe session is opened: each still counts.
    statuses = [first.post(url, data={"csrf_token": token}).status_code for _ in range(11)]
    assert statuses == [422] * 10 + [429]
    assert "Too many requests" in first.post(url, data={"csrf_token": token}).get_data(as_text=True)
    assert first.get(url).status_code == 200  # reviewing is not limited
    # Another buyer behind the same address is not held back.
    second = login_as(limited_app, make_user("b@example.org"))
    assert second.post(url, data={"csrf_token": csrf_token(second, url)}).status_code == 422
    assert order_count() == 0
