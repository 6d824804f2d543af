"""The TEST MODE checkout's steps (no Stripe keys, never production): pay an open session with a test card, then
notify the app's own webhook with a signed ``checkout.session.completed`` event, so fulfilment runs exactly the code
it runs when Stripe calls."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete

from coursesite.billing import webhooks
from coursesite.billing.gateway import current_gateway, webhook_secret
from coursesite.billing.gateway.test_mode import TestModeGateway, completed_event, sign
from coursesite.billing.models import TestModeSession
from coursesite.extensions import db
from coursesite.models_base import rows_matched

log = logging.getLogger(__name__)


def open_session(session_id: str) -> TestModeSession | None:
    return TestModeGateway().open_session(session_id)


def success_url(session: TestModeSession) -> str:
    """Where the buyer goes once the session is paid: its success URL with ``{CHECKOUT_SESSION_ID}`` filled in."""
    return session.success_url.replace("{CHECKOUT_SESSION_ID}", session.id)


def pay_in_test_mode(session: TestModeSession, card_number: str, customer_name: str,
                     customer_address: dict[str, str]) -> None:
    """Pay ``session`` and deliver the event; raises ``CardDeclined`` for any card but the one that pays.

    By the time this returns the order is fulfilled, or on record for review, as if Stripe had called the webhook.
    """
    paid = TestModeGateway().pay(session.id, card_number, customer_name, customer_address)
    payload = completed_event(paid)
    secret = webhook_secret(current_app)
    answer = webhooks.deliver(payload, sign(payload, secret) if secret else None, secret, current_gateway())
    if answer.status != 200:
        log.error("Test-mode webhook answered %s: %s", answer.status, answer.body)


# Stripe lets an unpaid Checkout Session expire after a day; a test-mode one left open that long is abandoned.
STALE_AFTER = timedelta(days=1)


def delete_stale_sessions(now: datetime) -> int:
    """Delete the test-mode sessions nobody paid within :data:`STALE_AFTER`; run daily by the job queue."""
    deleted = rows_matched(db.session.execute(
        delete(TestModeSession).where(TestModeSession.status == "open", TestModeSession.created_at < now - STALE_AFTER)
        .execution_options(synchronize_session=False)))
    db.session.commit()
    return deleted
