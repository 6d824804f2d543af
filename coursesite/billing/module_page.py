"""What billing shows on the catalogue's pages: "from" prices on module cards and, on a module's page, the access of
the person looking and the prices on offer to them (the catalogue's ``module_card_parts`` and ``module_viewer_parts``,
registered in create_app)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import render_template
from markupsafe import Markup
from sqlalchemy import select

from coursesite.accounts.models import User
from coursesite.billing.access import ModuleHolding, module_holding
from coursesite.billing.models import PriceTier
from coursesite.catalog.services import ModuleOnPage
from coursesite.extensions import db
from coursesite.money import format_money


def lowest_access_price(tiers: Iterable[Mapping[str, Any]]) -> str | None:
    """The lowest price at which one learner buys access ("from $265"): the single-learner access tiers
    (self-funded, organisation-funded); seats are sold by the several, for others, and the certificate is an add-on.
    None when the module sells no access to one learner."""
    access = [tier for tier in tiers if tier["grants"] == "access"]
    if not access:
        return None
    cheapest = min(access, key=lambda tier: tier["unit_amount"])
    return format_money(cheapest["unit_amount"], cheapest["currency"])


def prices_from(module_ids: Sequence[int]) -> dict[int, str]:
    """The catalogue's card part: "From $265" for each module that sells access to one learner, in one query."""
    rows = db.session.execute(
        select(PriceTier.module_id, PriceTier.grants, PriceTier.unit_amount, PriceTier.currency)
        .where(PriceTier.module_id.in_(module_ids), PriceTier.active.is_(True))
    )
    tiers: dict[int, list[dict[str, Any]]] = {}
    for module_id, grants, unit_amount, currency in rows:
        tiers.setdefault(module_id, []).append({"grants": grants, "unit_amount": unit_amount, "currency": currency})
    lowest = {module_id: lowest_access_price(module_tiers) for module_id, module_tiers in tiers.items()}
    return {module_id: f"From {price}" for module_id, price in lowest.items() if price}


@dataclass(frozen=True)
class Offer:
    """A price tier as the person looking may buy it.

    ``action``: ``buy``; ``renew`` (access they hold, extended from its end to ``renews_until``); ``held`` (the
    certificate they hold); ``needs_access`` (the certificate, bought with access or once access is held: the
    checkout refuses it alone). ``with_certificate``: the access tier's form offers the certificate as an add-on.
    """

    tier: Mapping[str, Any]
    action: str
    renews_until: datetime | None = None
    with_certificate: bool = False


def offers_for(tiers: Sequence[Mapping[str, Any]], holding: ModuleHolding | None) -> list[Offer]:
    """Every tier, as a visitor (None), a learner or staff may buy it. Holders of access renew rather than buy it
    (a purchase extends access from its current end); seat tiers stay on sale to everyone, for others."""
    access_until = holding.access_until if holding is not None else None
    holds_certificate = holding is not None and holding.certificate
    certificate_on_sale = not holds_certificate and any(tier["grants"] == "certificate" for tier in tiers)
    offers = []
    for tier in tiers:
        if tier["grants"] == "certificate":
            offers.append(Offer(tier, "held" if holds_certificate else "buy" if access_until else "needs_access"))
        elif tier["grants"] == "access" and access_until is not None:
            offers.append(Offer(tier, "renew", access_until + timedelta(days=tier["access_days"]),
                                with_certificate=certificate_on_sale))
        else:
            offers.append(Offer(tier, "buy", with_certificate=tier["grants"] == "access" and certificate_on_sale))
    return offers


def module_for_viewer(module: ModuleOnPage, user: User | None) -> dict[str, Markup]:
    """The catalogue's module viewer part: the viewer's access under the module's heading (with "See prices" near the
    top, for phones), and the pricing box. One query for a logged-in learner, none for a visitor."""
    tiers: list[dict[str, Any]] = module.parts.get("price_tiers", [])
    holding = module_holding(user, module.id) if user is not None else None
    context = {"module": module, "holding": holding, "offers": offers_for(tiers, holding),
               "price_from": lowest_access_price(tiers),
               "certificate": next((tier for tier in tiers if tier["grants"] == "certificate"), None)}
    return {"status": _fragment("billing/_module_status.html", context),
            "side": _fragment("billing/_pricing_box.html", context) if tiers else Markup()}


def _fragment(template: str, context: dict[str, Any]) -> Markup:
    """A template rendered for a place on the catalogue's page."""
    return Markup(render_template(template, **context))  # noqa: S704 - Jinja escaped every value while rendering
