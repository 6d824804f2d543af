"""The app's own checkout page, for development and demos without Stripe keys (never in production).

Cards follow Stripe's test cards: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined. A paid session becomes a
``checkout.session.completed`` event signed with Stripe's own scheme, so the webhook runs the same fulfilment code.
"""
from __future__ import annotations

import json
import secrets
import time

from flask import has_request_context, url_for
from sqlalchemy import select, update
from stripe import WebhookSignature

from coursesite.billing.gateway.types import (
    CardDeclined,
    Charge,
    CheckoutRequest,
    CheckoutSession,
    Dispute,
    PaidLine,
    PaymentProviderError,
    StartedCheckout,
)
from coursesite.billing.models import TestModeSession
from coursesite.extensions import db

TEST_CARD_PAYS = "4242424242424242"
TEST_CARD_DECLINED = "4000000000000002"


class TestModeGateway:
    """The app's own checkout page, for development and demos without Stripe keys.

    Sessions live in ``test_mode_sessions``; paying one sends a signed ``checkout.session.completed`` event to the
    webhook, so fulfilment runs exactly as it does with Stripe.
    """

    __test__ = False  # not a test class, whatever its name

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
            customer_address: dict[str, str] | None = None) -> CheckoutSession:
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
    header: str = WebhookSignature.generate_signature_header(payload.decode(), secret)
    return header
