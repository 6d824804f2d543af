"""Stripe webhooks: verify the signature over the raw body, then hand the event to its fulfilment function.

The event's payload is only a pointer: every handler re-reads the object from the provider, so stale, repeated and
out-of-order deliveries all converge on the provider's current state.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import stripe

from coursesite.billing.fulfilment import (
    DuplicateEvent,
    EventRef,
    FulfilmentError,
    Outcome,
    fulfil,
    record_dispute,
    record_failure,
    record_refund,
)
from coursesite.billing.gateway import PaymentGateway
from coursesite.billing.gateway.types import PaymentProviderError

log = logging.getLogger(__name__)

HANDLERS: dict[str, Callable[..., Outcome]] = {
    "checkout.session.completed": fulfil,
    "checkout.session.async_payment_succeeded": fulfil,
    "checkout.session.async_payment_failed": record_failure,
    "checkout.session.expired": fulfil,
    "charge.refunded": record_refund,
    "charge.dispute.created": record_dispute,
    "charge.dispute.closed": record_dispute,
}


# How far a signature's timestamp may lie from now, either way. Stripe's SDK refuses older signatures itself (its
# tolerance is the same five minutes) but accepts any dated ahead, which would let a captured delivery be replayed
# until that date: refused here like a stale one.
SIGNATURE_TOLERANCE_SECONDS = stripe.Webhook.DEFAULT_TOLERANCE


class InvalidWebhook(Exception):
    """The body or its Stripe-Signature failed verification; nothing was done."""


@dataclass(frozen=True)
class WebhookAnswer:
    """The HTTP answer to one delivery (as JSON): Stripe delivers the event again after anything but a 2xx."""

    status: int
    body: dict[str, Any]


def deliver(payload: bytes, signature: str | None, secret: str | None, gateway: PaymentGateway) -> WebhookAnswer:
    """What ``POST /billing/stripe/webhook`` answers to a body and its Stripe-Signature header (a newly paid order's
    receipt is queued by its fulfilment). The test-mode checkout delivers its own events through here too."""
    if not secret:
        log.error("A Stripe webhook arrived but STRIPE_WEBHOOK_SECRET is not set")
        return WebhookAnswer(503, {"error": "webhook secret not configured"})
    try:
        result = receive(payload, signature, secret, gateway)
    except InvalidWebhook as error:
        log.warning("Rejected a webhook: %s", error)
        return WebhookAnswer(400, {"error": "invalid payload or signature"})
    except PaymentProviderError as error:
        return WebhookAnswer(503, {"error": str(error)})
    except FulfilmentError as error:
        if not error.alerted:
            return WebhookAnswer(500, {"error": str(error)})  # not on record yet: Stripe delivers again, we try again
        # On record and the admins mailed: a person decides. Retrying cannot help, and endless failures would
        # make Stripe disable the endpoint.
        return WebhookAnswer(200, {"received": True, "result": "needs_review"})
    return WebhookAnswer(200, {"received": True, "result": result})


def receive(payload: bytes, signature: str | None, secret: str, gateway: PaymentGateway) -> str:
    """Verify and handle one delivery: ``"processed"``, ``"duplicate"`` or ``"ignored"``.

    Provider errors propagate, so the caller answers with an error and Stripe delivers the event again later.
    """
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret)
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise InvalidWebhook(str(error)) from error
    except (AttributeError, TypeError) as error:  # signed JSON that is not an object (the SDK calls .get on it)
        raise InvalidWebhook(f"not a Stripe event: {error!r}") from error
    _refuse_future_timestamp(signature or "")
    event_type = event["type"] if "type" in event else None  # noqa: SIM401 - a StripeObject has no .get()
    if not isinstance(event_type, str) or event_type not in HANDLERS:
        return "ignored"
    handler = HANDLERS[event_type]
    event_id, object_id = _ids(event)
    try:
        handler(object_id, gateway, event=EventRef(event_id, event_type))
    except DuplicateEvent:
        log.info("Stripe event %s was already processed", event_id)
        return "duplicate"
    return "processed"


def _refuse_future_timestamp(signature: str) -> None:
    """Refuse a (verified) signature dated more than :data:`SIGNATURE_TOLERANCE_SECONDS` ahead of our clock.

    The timestamp is the header's first ``t=`` item, the one the SDK has just verified the signature with."""
    signed_at = next(int(value) for name, _, value in (item.partition("=") for item in signature.split(","))
                     if name == "t")
    if signed_at > time.time() + SIGNATURE_TOLERANCE_SECONDS:
        raise InvalidWebhook(f"the signature is dated {signed_at}, in the future")


def _ids(event: stripe.Event) -> tuple[str, str]:
    """The event's id and its object's id; a signed body of another shape is refused like a bad signature."""
    try:
        found = event["id"], event["data"]["object"]["id"]
    except (KeyError, TypeError, AttributeError) as error:
        raise InvalidWebhook(f"not a Stripe event: {error!r}") from error
    if not all(isinstance(value, str) and value for value in found):
        raise InvalidWebhook("not a Stripe event: its id and its object's id must be strings")
    return found
