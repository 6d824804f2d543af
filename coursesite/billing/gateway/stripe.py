"""Stripe Checkout through the official SDK: the hosted payment page, and reading back sessions, charges, disputes."""
from __future__ import annotations

import logging
from typing import Any

import stripe
from stripe.params.checkout import SessionCreateParams

from coursesite.billing.gateway.types import (
    Charge,
    CheckoutRequest,
    CheckoutSession,
    Dispute,
    PaidLine,
    PaymentProviderError,
    StartedCheckout,
)
from coursesite.billing.models import ADDRESS_FIELDS

log = logging.getLogger(__name__)


def _address(details: dict[str, Any]) -> dict[str, str]:
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

    def __init__(self, secret_key: str, *, api_base: str | None, timeout: float, max_retries: int) -> None:
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=max_retries,
            http_client=stripe.RequestsClient(timeout=timeout),
        )

    def start_checkout(self, request: CheckoutRequest) -> StartedCheckout:
        params: SessionCreateParams = {
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
        options: stripe.RequestOptions = {"idempotency_key": f"checkout-{request.reference}"}
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
    def _session(session: dict[str, Any]) -> CheckoutSession:
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
