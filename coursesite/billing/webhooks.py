"""Stripe webhooks: verify the signature over the raw body, then hand the event to its fulfilment function.

The event's payload is only a pointer: every handler re-reads the object from the provider, so stale, repeated and
out-of-order deliveries all converge on the provider's current state.
"""
from __future__ import annotations

import logging
from typing import Callable

import stripe

from coursesite.billing.fulfilment import (
    DuplicateEvent, EventRef, Outcome, fulfil, record_dispute, record_failure, record_refund,
)
from coursesite.billing.gateway import Gateway

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


class InvalidWebhook(Exception):
    """The body or its Stripe-Signature failed verification; nothing was done."""


def receive(payload: bytes, signature: str | None, secret: str, gateway: Gateway) -> tuple[str, Outcome | None]:
    """Verify and handle one delivery: ``("processed" | "duplicate" | "ignored", outcome)``.

    Provider errors propagate, so the caller answers with an error and Stripe delivers the event again later.
    """
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret)
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise InvalidWebhook(str(error)) from error
    except (AttributeError, TypeError) as error:  # signed JSON that is not an object (the SDK calls .get on it)
        raise InvalidWebhook(f"not a Stripe event: {error!r}") from error
    event_type = event["type"] if "type" in event else None
    handler = HANDLERS.get(event_type) if isinstance(event_type, str) else None
    if handler is None:
        return "ignored", None
    event_id, object_id = _ids(event)
    try:
        outcome = handler(object_id, gateway, event=EventRef(event_id, event_type))
    except DuplicateEvent:
        log.info("Stripe event %s was already processed", event_id)
        return "duplicate", None
    return "processed", outcome


def _ids(event) -> tuple[str, str]:
    """The event's id and its object's id; a signed body of another shape is refused like a bad signature."""
    try:
        found = event["id"], event["data"]["object"]["id"]
    except (KeyError, TypeError, AttributeError) as error:
        raise InvalidWebhook(f"not a Stripe event: {error!r}") from error
    if not all(isinstance(value, str) and value for value in found):
        raise InvalidWebhook("not a Stripe event: its id and its object's id must be strings")
    return found
