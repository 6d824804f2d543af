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
    handler = HANDLERS.get(event["type"])
    if handler is None:
        return "ignored", None
    try:
        outcome = handler(event["data"]["object"]["id"], gateway, event=EventRef(event["id"], event["type"]))
    except DuplicateEvent:
        log.info("Stripe event %s was already processed", event["id"])
        return "duplicate", None
    return "processed", outcome
