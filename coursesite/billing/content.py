"""The price tiers of a module as part of its content files (``prices:`` in module.yaml)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from coursesite.billing.models import PriceTier
from coursesite.billing.services import ACCESS_DAYS, DEFAULT_TIERS, TIER_CODES
from coursesite.catalog.content.sections import ContentSection
from coursesite.catalog.content.yamlfields import Fields, Report
from coursesite.catalog.models import Module
from coursesite.extensions import db


def read_prices(module_dir: Path, module_fields: Fields, module_values: dict[str, Any],
                report: Report) -> dict[str, Any]:
    """Amount overrides by tier code; tiers not listed keep the default amounts."""
    overrides: dict[str, int] = {}
    for index, item in enumerate(module_fields.items("prices", required=False, max_items=len(TIER_CODES)), start=1):
        fields = Fields(item, module_fields.path, report, prefix=f"prices {index}.")
        fields.unknown({"code", "amount"})
        code = fields.choice("code", TIER_CODES)
        amount = fields.number("amount", integer=True, minimum=0, maximum=10_000_000)
        if code in overrides:
            fields.error("code", f"{code!r} is listed twice")
        if code:
            overrides[code] = amount
    return overrides


def apply_prices(module: Module, overrides: dict[str, int]) -> None:
    """Every default tier at its price (or the module's override); the certificate tier is on sale only when the
    module offers a certificate (``certificate: false`` in module.yaml takes it off sale, keeping its row for past
    orders)."""
    existing = {tier.code: tier for tier in module_tiers(module)}
    for position, default in enumerate(DEFAULT_TIERS, start=1):
        tier = existing.get(default["code"]) or PriceTier(module=module, access_days=ACCESS_DAYS)
        for name, value in default.items():
            setattr(tier, name, value)
        tier.unit_amount = overrides.get(default["code"], default["unit_amount"])
        tier.position = position
        tier.active = default["grants"] != "certificate" or module.offers_certificate
        db.session.add(tier)


def module_tiers(module: Module) -> list[PriceTier]:
    return list(db.session.scalars(select(PriceTier).where(PriceTier.module_id == module.id))) if module.id else []


def export_prices(module: Module) -> tuple[dict[str, Any], dict[str, Any]]:
    defaults = {tier["code"]: tier["unit_amount"] for tier in DEFAULT_TIERS}
    changed = [{"code": t.code, "amount": t.unit_amount} for t in module_tiers(module)
               if t.unit_amount != defaults.get(t.code)]
    return ({"prices": changed} if changed else {}), {}


PRICES_SECTION = ContentSection(
    name="prices", module_keys=frozenset({"prices"}), read=read_prices, apply=apply_prices, export=export_prices,
)
