"""Price tiers and their rules. (Orders, entitlements and the access policy build on these.)"""
from __future__ import annotations

from sqlalchemy import select

from coursesite.billing.models import PriceTier
from coursesite.extensions import db

# The defaults every module is sold at unless its module.yaml overrides an amount (integer cents).
DEFAULT_TIERS: tuple[dict, ...] = (
    {"code": "self_funded", "name": "Self-funded", "audience": "A learner paying for themself",
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


def tiers_for(module_id: int) -> list[PriceTier]:
    return list(db.session.scalars(
        select(PriceTier).where(PriceTier.module_id == module_id, PriceTier.active.is_(True))
        .order_by(PriceTier.position)
    ))


def tier_summary(tier: PriceTier) -> dict:
    """A tier as plain data, for pages that cache it (prices are content: an import bumps the revision)."""
    return {
        "code": tier.code, "name": tier.name, "audience": tier.audience, "unit_amount": tier.unit_amount,
        "currency": tier.currency, "min_quantity": tier.min_quantity, "max_quantity": tier.max_quantity,
        "per_seat": tier.per_seat, "rule": tier_rule(tier),
        "unit_label": "student" if tier.code == "teaching" else "user",
    }


def tier_rule(tier: PriceTier) -> str:
    """The rule printed under a price: what one buys and for how long."""
    if tier.grants == "seats":
        return f"At least {tier.min_quantity} seats, each with {tier.access_days} days of access"
    if tier.grants == "certificate":
        return "Per learner and module"
    return f"1 seat, {tier.access_days} days of access"


def format_money(cents: int, currency: str = "usd") -> str:
    symbol = {"usd": "$", "eur": "€", "gbp": "£"}.get(currency, "")
    amount = f"{cents / 100:,.2f}".removesuffix(".00")
    return f"{symbol}{amount}" if symbol else f"{amount} {currency.upper()}"
