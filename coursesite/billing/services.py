"""Price tiers and their rules (and the module page's prices), starting a checkout, and what the order pages show."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coursesite.accounts.models import User
from coursesite.billing.access import has_access, has_entitlement
from coursesite.billing.gateway import PaymentGateway
from coursesite.billing.gateway.types import CheckoutLine, CheckoutRequest, PaymentProviderError, StartedCheckout
from coursesite.billing.models import ORGANISATION_NAME_MAX, Order, OrderLine, PriceTier
from coursesite.catalog.models import Module
from coursesite.extensions import db
from coursesite.models_base import utcnow
from coursesite.text import UNPRINTABLE_MESSAGE, clean_text, is_printable

# The defaults every module is sold at unless its module.yaml overrides an amount (integer cents).
DEFAULT_TIERS: tuple[dict[str, Any], ...] = (
    {"code": "self_funded", "name": "Self-funded", "audience": "A learner paying for their own access",
     "unit_amount": 26500, "min_quantity": 1, "max_quantity": 1, "grants": "access"},
    {"code": "org_funded", "name": "Organisation-funded", "audience": "A learner whose employer pays",
     "unit_amount": 28000, "min_quantity": 1, "max_quantity": 1, "grants": "access"},
    {"code": "institutional", "name": "Institutional licence", "audience": "An institution's account, per user",
     "unit_amount": 13500, "min_quantity": 4, "max_quantity": 1000, "grants": "seats"},
    {"code": "teaching", "name": "Teaching licence", "audience": "A teacher's class, per student",
     "unit_amount": 8500, "min_quantity": 10, "max_quantity": 1000, "grants": "seats"},
    {"code": "certificate", "name": "Test and certificate", "audience": "The CE test and certificate of attendance",
     "unit_amount": 5000, "min_quantity": 1, "max_quantity": 1, "grants": "certificate"},
)
TIER_CODES = tuple(tier["code"] for tier in DEFAULT_TIERS)
ACCESS_DAYS = 365
MAX_SEATS_PER_ORDER = 1000
# Orders that took money, and so have a receipt; the others have an order-status page.
RECEIPT_STATUSES = ("paid", "refunded", "partially_refunded", "charged_back")
ORDER_STATUS_LABELS = {
    "pending": "Awaiting payment",
    "paid": "Paid",
    "refunded": "Refunded",
    "partially_refunded": "Partly refunded",
    "charged_back": "Payment reversed (dispute lost)",
    "expired": "Checkout not completed",
    "failed": "Payment failed",
}


def tiers_for(module_id: int) -> list[PriceTier]:
    return list(db.session.scalars(
        select(PriceTier).where(PriceTier.module_id == module_id, PriceTier.active.is_(True))
        .order_by(PriceTier.position)
    ))


def module_prices(module: Module) -> dict[str, list[dict[str, Any]]]:
    """The catalogue's module page part (see ``module_page_parts`` in create_app): the pricing box's tiers."""
    return {"price_tiers": [tier_summary(tier) for tier in tiers_for(module.id)]}


def tier_summary(tier: PriceTier) -> dict[str, Any]:
    """A tier as plain data, for pages that cache it (prices are content: an import bumps the revision)."""
    return {
        "code": tier.code, "name": tier.name, "audience": tier.audience, "unit_amount": tier.unit_amount,
        "currency": tier.currency, "min_quantity": tier.min_quantity, "max_quantity": tier.max_quantity,
        "per_seat": tier.per_seat, "grants": tier.grants, "access_days": tier.access_days, "rule": tier_rule(tier),
        "unit_label": "student" if tier.code == "teaching" else "user",
    }


def tier_rule(tier: PriceTier) -> str:
    """The rule printed under a price: what one buys and for how long."""
    if tier.grants == "seats":
        return f"At least {tier.min_quantity} seats, each with {tier.access_days} days of access"
    if tier.grants == "certificate":
        return "Per learner and module"
    rule = f"1 seat, {tier.access_days} days of access"
    return f"{rule}; receipt in your organisation's name" if tier.code == "org_funded" else rule


def tier_on_sale(module_slug: str, tier_code: str) -> PriceTier | None:
    """The active tier of a published module, or None when that module or tier is not on sale."""
    return db.session.scalar(
        select(PriceTier).join(PriceTier.module)
        .where(Module.slug == module_slug, Module.published.is_(True), PriceTier.code == tier_code,
               PriceTier.active.is_(True))
        .options(selectinload(PriceTier.module))
    )


def max_quantity(tier: PriceTier) -> int:
    return min(tier.max_quantity, MAX_SEATS_PER_ORDER)


class CheckoutRefused(Exception):
    """The choice breaks a rule; ``field`` names the form field at fault (None: the purchase as a whole).

    ``open_order`` (a reference) and ``checkout_url`` point to an order already under way for the same thing.
    """

    def __init__(self, message: str, field: str | None = None, *, open_order: str | None = None,
                 checkout_url: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.open_order = open_order
        self.checkout_url = checkout_url


@dataclass(frozen=True)
class CheckoutChoice:
    quantity: int = 1
    add_certificate: bool = False
    organisation_name: str = ""


def certificate_tier(module_id: int) -> PriceTier | None:
    return db.session.scalar(select(PriceTier).where(
        PriceTier.module_id == module_id, PriceTier.grants == "certificate", PriceTier.active.is_(True)))


def billed_to_organisation(tier: PriceTier) -> bool:
    """Organisation-funded access and seat licences are bought in an organisation's name: the review page asks for
    the name (which also names a seat buyer's new organisation) and Checkout for the billing address."""
    return tier.code == "org_funded" or tier.per_seat


def organisation_name_missing_message(tier: PriceTier) -> str:
    if tier.per_seat:
        return "Enter the name of the organisation the seats are for."
    return "Enter the name of the organisation that pays."


def check_choice(user: User, tier: PriceTier, choice: CheckoutChoice) -> None:
    """The rules of a purchase, whatever the form said (its fields can be tampered with)."""
    if tier.per_seat:
        if not tier.min_quantity <= choice.quantity <= max_quantity(tier):
            raise CheckoutRefused(
                f"Choose between {tier.min_quantity} and {max_quantity(tier)} seats.", "quantity")
    elif choice.quantity != 1:
        raise CheckoutRefused("This price is for one learner.", "quantity")
    if billed_to_organisation(tier) and not choice.organisation_name.strip():
        raise CheckoutRefused(organisation_name_missing_message(tier), "organisation_name")
    if not is_printable(choice.organisation_name):  # the name rule of registration and renaming (coursesite/text.py)
        raise CheckoutRefused(UNPRINTABLE_MESSAGE, "organisation_name")
    if len(clean_text(choice.organisation_name)) > ORGANISATION_NAME_MAX:
        raise CheckoutRefused(f"The organisation name can be at most {ORGANISATION_NAME_MAX} characters long.",
                              "organisation_name")
    if choice.add_certificate and tier.grants != "access":
        raise CheckoutRefused("The test and certificate can be added to individual access only.", "add_certificate")
    wants_certificate = tier.grants == "certificate" or choice.add_certificate
    if wants_certificate and has_entitlement(user, tier.module_id, "certificate"):
        raise CheckoutRefused("You already have the test and certificate for this module.")
    if tier.grants == "certificate" and not has_access(user, tier.module_id):
        raise CheckoutRefused("The test and certificate go with access to the module: buy access first "
                              "(you can add the certificate to it).")


# How long a Stripe Checkout Session stays open when, as here, no ``expires_at`` is given.
CHECKOUT_SESSION_LIFETIME = timedelta(hours=24)


def open_certificate_order(user_id: int, module_id: int, now: datetime | None = None) -> Order | None:
    """The user's newest pending order for the module's test and certificate (alone or as the add-on) whose Checkout
    Session may still be open."""
    since = (now or utcnow()) - CHECKOUT_SESSION_LIFETIME
    return db.session.scalar(
        select(Order).join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.user_id == user_id, Order.module_id == module_id, Order.status == "pending",
               Order.created_at > since, OrderLine.grants == "certificate")
        .order_by(Order.created_at.desc(), Order.id.desc()).limit(1)
    )


def check_no_open_certificate_checkout(user: User, module_id: int, gateway: PaymentGateway) -> None:
    """Refuse a second checkout for the certificate while one is open, so it cannot be paid twice.

    The provider is asked about the open order's session: an expired one no longer counts, a paid one is being
    confirmed, an open one is offered to the buyer to finish. Renewals of access are not limited: buying another year
    while one checkout is open is legitimate.
    """
    pending = open_certificate_order(user.id, module_id)
    if pending is None:
        return
    session_id = pending.stripe_checkout_session_id
    try:
        session = gateway.retrieve_session(session_id) if session_id else None
    except PaymentProviderError:
        session = None  # cannot tell (nor can an order without a session): stay on the safe side, without a link
    if session is not None and session.paid:
        raise CheckoutRefused(
            f"You have already paid for the test and certificate (order {pending.reference}); we are confirming "
            f"the payment.", open_order=pending.reference)
    if session is not None and session.status != "open":
        return  # expired, or completed without payment: it can no longer be paid
    lifetime = int(CHECKOUT_SESSION_LIFETIME.total_seconds() // 3600)
    raise CheckoutRefused(
        f"You already have a checkout open for the test and certificate of this module (order {pending.reference}). "
        f"Please complete that one, or wait until it expires ({lifetime} hours after it was opened) to start "
        f"another.", open_order=pending.reference, checkout_url=session.url if session is not None else None)


def _line(tier: PriceTier, position: int, quantity: int) -> OrderLine:
    return OrderLine(position=position, tier_id=tier.id, tier_code=tier.code, name=tier.name, grants=tier.grants,
                     quantity=quantity, unit_amount=tier.unit_amount, access_days=tier.access_days,
                     amount_total=tier.unit_amount * quantity)


def start_checkout(user: User, tier: PriceTier, choice: CheckoutChoice, gateway: PaymentGateway, *,
                   success_url: str, cancel_url: str) -> StartedCheckout:
    """Open a Checkout Session for the choice and record the pending order that it will fulfil.

    Prices come from the tier, never from the form. The order is written only once the provider has answered, so a
    provider that fails or cannot be reached leaves no order behind.
    """
    check_choice(user, tier, choice)
    if tier.grants == "certificate" or choice.add_certificate:
        check_no_open_certificate_checkout(user, tier.module_id, gateway)
    lines = [_line(tier, 1, choice.quantity)]
    if choice.add_certificate:
        addon = certificate_tier(tier.module_id)
        if addon is None:
            raise CheckoutRefused("The test and certificate are not on sale for this module.", "add_certificate")
        lines.append(_line(addon, 2, 1))
    reference = secrets.token_hex(8).upper()
    started = gateway.start_checkout(CheckoutRequest(
        reference=reference,
        currency=tier.currency,
        lines=tuple(CheckoutLine(name=f"{tier.module.title}: {line.name}", unit_amount=line.unit_amount,
                                 quantity=line.quantity) for line in lines),
        customer_email=user.email,
        success_url=success_url,
        cancel_url=cancel_url,
        collect_billing_address=billed_to_organisation(tier),
    ))
    subtotal = sum(line.amount_total for line in lines)
    db.session.add(Order(
        reference=reference, user_id=user.id, module_id=tier.module_id, status="pending", currency=tier.currency,
        amount_subtotal=subtotal, amount_discount=0, amount_total=subtotal, amount_refunded=0,
        stripe_checkout_session_id=started.session_id, organisation_name=clean_text(choice.organisation_name),
        lines=lines,
    ))
    db.session.commit()
    return started


def order_for_session(user_id: int, session_id: str) -> Order | None:
    return db.session.scalar(select(Order).where(
        Order.user_id == user_id, Order.stripe_checkout_session_id == session_id))


def order_of(user_id: int, reference: str) -> Order | None:
    return db.session.scalar(
        select(Order).where(Order.user_id == user_id, Order.reference == reference)
        .options(selectinload(Order.lines), selectinload(Order.module))
    )


def orders_of(user_id: int) -> list[Order]:
    return list(db.session.scalars(
        select(Order).where(Order.user_id == user_id).order_by(Order.created_at.desc(), Order.id.desc())
        .options(selectinload(Order.lines), selectinload(Order.module))
    ))
