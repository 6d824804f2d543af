"""Production refuses to start with Stripe settings that would take no money or lose track of it."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from coursesite import create_app
from coursesite.billing.models import Order
from coursesite.extensions import db
from tests.factories import make_user
from tests.support import BUY_PAGE, CSRF_INPUT, login_as

BASE = {"SECRET_KEY": "p" * 64, "SQLALCHEMY_DATABASE_URI": "sqlite://", "STRIPE_API_BASE": None,
        "STRIPE_SECRET_KEY": None, "STRIPE_WEBHOOK_SECRET": None}
HTTPS = "https://localhost"


@pytest.fixture
def app_overrides() -> dict:
    return {}


def production(**settings):
    return create_app("production", {**BASE, **settings})


def test_a_secret_key_needs_the_webhook_secret():
    with pytest.raises(RuntimeError) as refused:
        production(STRIPE_SECRET_KEY="sk_live_abc")
    assert str(refused.value).startswith(
        "STRIPE_WEBHOOK_SECRET must be set when STRIPE_SECRET_KEY is: it is the signing secret (whsec_…) of the "
        "endpoint https://<host>/billing/stripe/webhook")
    assert production(STRIPE_SECRET_KEY="sk_live_abc", STRIPE_WEBHOOK_SECRET="whsec_live")


@pytest.mark.parametrize("key", ["sk_test_abc", "rk_test_abc"])
def test_a_test_mode_key_is_refused(key):
    with pytest.raises(RuntimeError, match=r"STRIPE_SECRET_KEY is a Stripe test-mode key \(sk_test_…\)"):
        production(STRIPE_SECRET_KEY=key, STRIPE_WEBHOOK_SECRET="whsec_live")
    assert production(STRIPE_SECRET_KEY="rk_live_abc", STRIPE_WEBHOOK_SECRET="whsec_live")


def test_the_stub_address_is_refused():
    with pytest.raises(RuntimeError, match="STRIPE_API_BASE is for tests only"):
        production(STRIPE_SECRET_KEY="sk_live_abc", STRIPE_WEBHOOK_SECRET="whsec_live",
                   STRIPE_API_BASE="http://127.0.0.1:12111")
    with pytest.raises(RuntimeError, match="STRIPE_API_BASE is for tests only"):
        production(STRIPE_API_BASE="http://127.0.0.1:12111")


def test_without_stripe_keys_production_starts_and_payments_are_unavailable(app, migrated, sample_module):
    unpaid = production(SQLALCHEMY_DATABASE_URI=migrated, MEDIA_ROOT=app.config["MEDIA_ROOT"], RATELIMIT_ENABLED=False)
    with unpaid.app_context():
        client = login_as(unpaid, make_user())
        review = client.get(BUY_PAGE, base_url=HTTPS)
        response = client.post(BUY_PAGE, base_url=HTTPS, headers={"Referer": f"{HTTPS}/"},
                               data={"csrf_token": CSRF_INPUT.search(review.get_data(as_text=True)).group(1)})
        orders = db.session.scalar(select(func.count()).select_from(Order))
        db.session.remove()
        db.engine.dispose()
    assert response.status_code == 503
    assert "Online payments are not available" in response.get_data(as_text=True)
    assert orders == 0


def test_other_environments_are_left_alone():
    assert create_app("testing", {"STRIPE_SECRET_KEY": "sk_test_abc", "STRIPE_API_BASE": "http://127.0.0.1:1"})
