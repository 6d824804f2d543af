"""Payment providers behind one interface: Stripe Checkout, or the local test-mode checkout when no keys are set.

Both gateways hand back the same plain values (:class:`CheckoutSession`, :class:`Charge`), so fulfilment never
touches a provider's objects and runs the same code in test mode as with Stripe.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Protocol

import stripe
from flask import Flask, current_app, has_request_context, url_for
from sqlalchemy import select, update

from coursesite.billing.models import ADDRESS_FIELDS, TestModeSession
from coursesite.extensions import db

log = logging.getLogger(__name__)

PAID_STATUSES = ("paid", "no_payment_required")
TEST_CARD_PAYS = "4242424242424242"
TEST_CARD_DECLINED = "4000000000000002"


class PaymentProviderError(Exception):
    """The provider refused, failed or could not be reached; the message is fit to show a learner."""


class PaymentsUnavailable(PaymentProviderError):
    """No provider is configured (production without Stripe keys)."""


class CardDeclined(PaymentProviderError):
    pass


@dataclass(frozen=True)
class CheckoutLine:
    name: str
    unit_amount: int
    quantity: int


@dataclass(frozen=True)
class CheckoutRequest:
    reference: str
    currency: str
    lines: tuple[CheckoutLine, ...]
    customer_email: str
    success_url: str
    cancel_url: str
    collect_billing_address: bool


@dataclass(frozen=True)
class StartedCheckout:
    session_id: str
    url: str


@dataclass(frozen=True)
class PaidLine:
    quantity: int
    amount_total: int


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    reference: str | None
    status: str  # open | complete | expired
    payment_status: str  # paid | unpaid | no_payment_required
    payment_intent: str | None
    currency: str
    amount_subtotal: int
    amount_discount: int
    amount_total: int
    customer_name: str
    customer_address: dict
    lines: tuple[PaidLine, ...]
    # Where the buyer pays, while the session is open (None once it is complete or expired).
    url: str | None = None

    @property
    def paid(self) -> bool:
        return self.payment_status in PAID_STATUSES


@dataclass(frozen=True)
class Charge:
    id: str
    payment_intent: str | None
    amount: int
    amount_refunded: int


@dataclass(frozen=True)
class Dispute:
    id: str
    charge: str
    payment_intent: str | None
    amount: int
    status: str  # warning_needs_response | needs_response | under_review | won | lost | ...
    reason: str

    @property
    def lost(self) -> bool:
        return self.status == "lost"


class Gateway(Protocol):
    test_mode: bool

    def start_checkout(self, request: CheckoutRequest) -> StartedCheckout: ...

    def retrieve_session(self, session_id: str) -> CheckoutSession: ...

    def session_for_payment_intent(self, payment_intent: str) -> CheckoutSession | None: ...

    def retrieve_charge(self, charge_id: str) -> Charge: ...

    def retrieve_dispute(self, dispute_id: str) -> Dispute: ...


def _address(details: dict) -> dict:
    address = (details or {}).get("address") or {}
    return {key: address[key] for key in ADDRESS_FIELDS if address.get(key)}


def _provider_error(error: stripe.StripeError) -> PaymentProviderError:
    """Translate the SDK's errors into messages a learner can act on; the details go to the log."""
    log.warning("Stripe request failed: %r", error)
    if isinstance(error, stripe.CardError):
        # A 402 to our own API calls (opening a session, reading one back) is not a card being declined: cards are
        # entered on Stripe's page, which handles declines itself. The request was valid but Stripe refused it.
        return PaymentProviderError("The payment service refused to start this payment. Please try again later, "
                                    "or contact us if it keeps happening.")
    if isinstance(error, stripe.RateLimitError):
        return PaymentProviderError("The payment service is busy right now. Please try again in a minute.")
    if isinstance(error, stripe.APIConnectionError):
        return PaymentProviderError("We could not reach the payment service. Please try again in a few minutes.")
    return PaymentProviderError("The payment service could not handle the request. Please try again later.")


class StripeGateway:
    """Stripe Checkout (hosted page, payment mode) through the official SDK."""

    test_mode = False

    def __init__(self, secret_key: str, *, api_base: str | None, timeout: float, max_retries: int) -> None:
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=max_retries,
            http_client=stripe.RequestsClient(timeout=timeout),
        )

    def start_checkout(self, request: CheckoutRequest) -> StartedCheckout:
        params = {
            "mode": "payment",
            "client_reference_id": request.reference,
            "metadata": {"order_reference": request.reference},
            "customer_email": request.customer_email,
            "line_items": [
                {"quantity": line.quantity,
                 "price_data": {"currency": request.currency, "unit_amount": line.unit_amount,
                                "product_data": {"name": line.name}}}
                for line in request.lines
            ],
            "allow_promotion_codes": True,
            "billing_address_collection": "required" if request.collect_billing_address else "auto",
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        # The idempotency key makes the SDK's retries (and ours) safe: Stripe answers a repeat with the same session.
        options = {"idempotency_key": f"checkout-{request.reference}"}
        try:
            session = self.client.v1.checkout.sessions.create(params=params, options=options)
        except stripe.StripeError as error:
            raise _provider_error(error) from error
        return StartedCheckout(session_id=session["id"], url=session["url"])

    def retrieve_session(self, session_id: str) -> CheckoutSession:
        try:
            session = self.client.v1.checkout.sessions.retrieve(session_id, params={"expand": ["line_items"]})
        except stripe.StripeError as error:
            raise _provider_error(error) from error
        return self._session(session.to_dict())

    def session_for_payment_intent(self, payment_intent: str) -> CheckoutSession | None:
        try:
            found = self.client.v1.checkout.sessions.list(
                params={"payment_intent": payment_intent, "limit": 1, "expand": ["data.line_items"]}
            )
        except stripe.StripeError as error:
            raise _provider_error(error) from error
        return self._session(found.data[0].to_dict()) if found.data else None

    def retrieve_charge(self, charge_id: str) -> Charge:
        try:
            charge = self.client.v1.charges.retrieve(charge_id).to_dict()
        except stripe.StripeError as error:
            raise _provider_error(error) from error
        return Charge(id=charge["id"], payment_intent=charge.get("payment_intent"), amount=charge["amount"],
                      amount_refunded=charge.get("amount_refunded") or 0)

    def retrieve_dispute(self, dispute_id: str) -> Dispute:
        try:
            dispute = self.client.v1.disputes.retrieve(dispute_id).to_dict()
        except stripe.StripeError as error:
            raise _provider_error(error) from error
        charge = dispute.get("charge")
        return Dispute(id=dispute["id"], charge=charge if isinstance(charge, str) else (charge or {}).get("id", ""),
                       payment_intent=dispute.get("payment_intent"), amount=dispute.get("amount") or 0,
                       status=dispute.get("status") or "", reason=dispute.get("reason") or "")

    @staticmethod
    def _session(session: dict) -> CheckoutSession:
        details = session.get("customer_details") or {}
        line_items = (session.get("line_items") or {}).get("data") or []
        return CheckoutSession(
            id=session["id"],
            reference=session.get("client_reference_id"),
            status=session["status"],
            payment_status=session["payment_status"],
            payment_intent=session.get("payment_intent"),
            currency=session["currency"],
            amount_subtotal=session["amount_subtotal"],
            amount_discount=((session.get("total_details") or {}).get("amount_discount")) or 0,
            amount_total=session["amount_total"],
            customer_name=details.get("name") or "",
            customer_address=_address(details),
            lines=tuple(PaidLine(quantity=item["quantity"], amount_total=item["amount_total"])
                        for item in line_items),
            url=session.get("url") if session["status"] == "open" else None,
        )


class TestModeGateway:
    """The app's own checkout page, for development and demos without Stripe keys.

    Sessions live in ``test_mode_sessions``; paying one sends a signed ``checkout.session.completed`` event to the
    webhook, so fulfilment runs exactly as it does with Stripe.
    """

    __test__ = False
    test_mode = True

    def start_checkout(self, request: CheckoutRequest) -> StartedCheckout:
        session = TestModeSession(
            id=f"cs_test_{secrets.token_hex(16)}",
            order_reference=request.reference,
            success_url=request.success_url,
            cancel_url=request.cancel_url,
            collect_billing_address=request.collect_billing_address,
            currency=request.currency,
            line_items=[{"name": line.name, "quantity": line.quantity,
                         "amount_total": line.unit_amount * line.quantity} for line in request.lines],
        )
        db.session.add(session)
        return StartedCheckout(session_id=session.id, url=url_for("billing.test_checkout", session_id=session.id))

    def open_session(self, session_id: str) -> TestModeSession | None:
        return db.session.get(TestModeSession, session_id)

    def pay(self, session_id: str, card_number: str, customer_name: str = "",
            customer_address: dict | None = None) -> CheckoutSession:
        """Charge the test card: 4242… pays, 4000 0000 0000 0002 is declined, like Stripe's test cards."""
        if card_number == TEST_CARD_DECLINED:
            raise CardDeclined("Your card was declined. Try the test card 4242 4242 4242 4242.")
        if card_number != TEST_CARD_PAYS:
            raise CardDeclined("In test mode only 4242 4242 4242 4242 pays (4000 0000 0000 0002 is declined).")
        db.session.execute(
            update(TestModeSession)
            .where(TestModeSession.id == session_id, TestModeSession.status == "open")
            .values(status="complete", payment_status="paid", payment_intent=f"pi_test_{secrets.token_hex(16)}",
                    customer_name=customer_name, customer_address=customer_address or {})
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        return self.retrieve_session(session_id)

    def retrieve_session(self, session_id: str) -> CheckoutSession:
        session = db.session.scalar(
            select(TestModeSession).where(TestModeSession.id == session_id).execution_options(populate_existing=True)
        )
        if session is None:
            raise PaymentProviderError("No such checkout session.")
        return self._session(session)

    def session_for_payment_intent(self, payment_intent: str) -> CheckoutSession | None:
        session = db.session.scalar(select(TestModeSession).where(TestModeSession.payment_intent == payment_intent))
        return self._session(session) if session else None

    def retrieve_charge(self, charge_id: str) -> Charge:
        raise PaymentProviderError("Test mode takes no real payments, so it has no charges to refund.")

    def retrieve_dispute(self, dispute_id: str) -> Dispute:
        raise PaymentProviderError("Test mode takes no real payments, so nothing can be disputed.")

    @staticmethod
    def _session(session: TestModeSession) -> CheckoutSession:
        return CheckoutSession(
            id=session.id, reference=session.order_reference, status=session.status,
            payment_status=session.payment_status, payment_intent=session.payment_intent, currency=session.currency,
            amount_subtotal=session.amount_total, amount_discount=0, amount_total=session.amount_total,
            customer_name=session.customer_name, customer_address=dict(session.customer_address or {}),
            lines=tuple(PaidLine(quantity=item["quantity"], amount_total=item["amount_total"])
                        for item in session.line_items),
            url=url_for("billing.test_checkout", session_id=session.id)
            if session.status == "open" and has_request_context() else None,
        )


def completed_event(session: CheckoutSession) -> bytes:
    """The JSON body of a ``checkout.session.completed`` event for ``session``, shaped like Stripe's."""
    return json.dumps({
        "id": f"evt_test_{secrets.token_hex(16)}",
        "object": "event",
        "type": "checkout.session.completed",
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": {"id": session.id, "object": "checkout.session", "status": session.status,
                            "payment_status": session.payment_status, "client_reference_id": session.reference}},
    }).encode()


def sign(payload: bytes, secret: str) -> str:
    """A ``Stripe-Signature`` header for ``payload``: Stripe's own scheme (t=…,v1=HMAC-SHA256)."""
    return stripe.WebhookSignature.generate_signature_header(payload.decode(), secret)


TEST_KEY_PREFIXES = ("sk_test_", "rk_test_")


def check_production_settings(app: Flask) -> None:
    """Refuse to start production with Stripe settings that would take no money, or lose track of it.

    Called by ``create_app`` (through its ``check_production_settings``) in production only.
    """
    config = app.config
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


def build_gateway(app: Flask) -> Gateway:
    config = app.config
    if config.get("STRIPE_SECRET_KEY"):
        return StripeGateway(config["STRIPE_SECRET_KEY"], api_base=config.get("STRIPE_API_BASE"),
                             timeout=config["STRIPE_TIMEOUT_SECONDS"], max_retries=config["STRIPE_MAX_NETWORK_RETRIES"])
    if config["ENV_NAME"] == "production":
        raise PaymentsUnavailable("Online payments are not available at the moment.")
    return TestModeGateway()


def current_gateway() -> Gateway:
    """The app's gateway, built once (the Stripe client keeps its HTTP connections)."""
    extensions = current_app.extensions
    if "billing_gateway" not in extensions:
        extensions["billing_gateway"] = build_gateway(current_app)
    return extensions["billing_gateway"]


def in_test_mode(app: Flask) -> bool:
    """No Stripe keys and not production: checkout runs on the app's own TEST MODE page."""
    return not app.config.get("STRIPE_SECRET_KEY") and app.config["ENV_NAME"] != "production"


def webhook_secret(app: Flask) -> str | None:
    """STRIPE_WEBHOOK_SECRET; in test mode a local secret derived from SECRET_KEY signs the app's own events."""
    if app.config.get("STRIPE_WEBHOOK_SECRET"):
        return app.config["STRIPE_WEBHOOK_SECRET"]
    if in_test_mode(app):
        digest = hmac.new(app.config["SECRET_KEY"].encode(), b"test-mode-webhook", hashlib.sha256).hexdigest()
        return f"whsec_local_{digest}"
    return None
