"""Payment providers behind one interface: Stripe Checkout, or the local test-mode checkout when no keys are set.

Both gateways hand back the same plain values (``types``), so fulfilment never touches a provider's objects and runs
the same code in test mode as with Stripe. ``current_gateway()`` picks one from the settings; ``PaymentGateway`` is
what the rest of billing may ask of it.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Protocol

from flask import Flask, current_app

from coursesite.billing.gateway.stripe import StripeGateway
from coursesite.billing.gateway.test_mode import TestModeGateway
from coursesite.billing.gateway.types import (
    Charge,
    CheckoutRequest,
    CheckoutSession,
    Dispute,
    PaymentsUnavailable,
    StartedCheckout,
)

TEST_KEY_PREFIXES = ("sk_test_", "rk_test_")


class PaymentGateway(Protocol):
    """What checkout, fulfilment and the webhook ask of a provider (both gateways answer all of it)."""

    def start_checkout(self, request: CheckoutRequest) -> StartedCheckout: ...

    def retrieve_session(self, session_id: str) -> CheckoutSession: ...

    def session_for_payment_intent(self, payment_intent: str) -> CheckoutSession | None: ...

    def retrieve_charge(self, charge_id: str) -> Charge: ...

    def retrieve_dispute(self, dispute_id: str) -> Dispute: ...


def check_payment_settings(app: Flask) -> None:
    """Refuse to start production with Stripe settings that would take no money, or lose track of it."""
    config = app.config
    if config["ENV_NAME"] != "production":
        return
    secret_key = config.get("STRIPE_SECRET_KEY") or ""
    if config.get("STRIPE_API_BASE"):
        raise RuntimeError("STRIPE_API_BASE is for tests only (it points the Stripe SDK at a local stub) and is "
                           "refused in production: unset it")
    if not secret_key:
        return  # no payments at all: checkout says so (test mode is never offered in production)
    if secret_key.startswith(TEST_KEY_PREFIXES):
        raise RuntimeError("STRIPE_SECRET_KEY is a Stripe test-mode key (sk_test_…) and production would take no "
                           "real payments: set the live secret key (sk_live_… or a restricted rk_live_… key)")
    if not config.get("STRIPE_WEBHOOK_SECRET"):
        raise RuntimeError("STRIPE_WEBHOOK_SECRET must be set when STRIPE_SECRET_KEY is: it is the signing secret "
                           "(whsec_…) of the endpoint https://<host>/billing/stripe/webhook in the Stripe dashboard; "
                           "without it payments whose buyer never returns, refunds and disputes are never recorded")


def build_gateway(app: Flask) -> PaymentGateway:
    config = app.config
    if config.get("STRIPE_SECRET_KEY"):
        return StripeGateway(config["STRIPE_SECRET_KEY"], api_base=config.get("STRIPE_API_BASE"),
                             timeout=config["STRIPE_TIMEOUT_SECONDS"], max_retries=config["STRIPE_MAX_NETWORK_RETRIES"])
    if config["ENV_NAME"] == "production":
        raise PaymentsUnavailable("Online payments are not available at the moment.")
    return TestModeGateway()


def current_gateway() -> PaymentGateway:
    """The app's gateway, built once (the Stripe client keeps its HTTP connections)."""
    extensions = current_app.extensions
    if "billing_gateway" not in extensions:
        extensions["billing_gateway"] = build_gateway(current_app)
    gateway: PaymentGateway = extensions["billing_gateway"]
    return gateway


def in_test_mode(app: Flask) -> bool:
    """No Stripe keys and not production: checkout runs on the app's own TEST MODE page."""
    return not app.config.get("STRIPE_SECRET_KEY") and app.config["ENV_NAME"] != "production"


def webhook_secret(app: Flask) -> str | None:
    """STRIPE_WEBHOOK_SECRET; in test mode a local secret derived from SECRET_KEY signs the app's own events."""
    if app.config.get("STRIPE_WEBHOOK_SECRET"):
        secret: str = app.config["STRIPE_WEBHOOK_SECRET"]
        return secret
    if in_test_mode(app):
        digest = hmac.new(app.config["SECRET_KEY"].encode(), b"test-mode-webhook", hashlib.sha256).hexdigest()
        return f"whsec_local_{digest}"
    return None
