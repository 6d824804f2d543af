"""The plain values both gateways hand back, and the errors they raise: fulfilment never sees a provider's objects."""
from __future__ import annotations

from dataclasses import dataclass

PAID_STATUSES = ("paid", "no_payment_required")


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
    """A checkout session the provider has opened: its id, and the page to send the buyer to."""

    session_id: str
    url: str


@dataclass(frozen=True)
class PaidLine:
    """One line of a completed session as the provider reports it, to compare with what the order asked for."""

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
    customer_address: dict[str, str]
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
