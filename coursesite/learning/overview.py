"""'My learning': the modules a learner holds, from billing's access windows and the catalogue's modules."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from coursesite.billing.access import AccessWindow, access_windows
from coursesite.catalog.models import Module
from coursesite.catalog.services import modules_with_lectures
from coursesite.models_base import utcnow


@dataclass(frozen=True)
class ModuleAccess:
    """A module on "My learning": the access window around now (or the last one), and the certificate."""

    module: Module
    starts: datetime
    ends: datetime
    active: bool
    days_left: int
    has_certificate: bool


def learning_overview(user_id: int, now: datetime | None = None) -> list[ModuleAccess]:
    """Every module the user holds or held access to, current ones first, then by title (three queries at most)."""
    now = now or utcnow()
    by_module: dict[int, dict[str, list[AccessWindow]]] = {}
    for window in access_windows(user_id):
        by_module.setdefault(window.module_id, {}).setdefault(window.kind, []).append(window)
    held = {module_id: kinds for module_id, kinds in by_module.items() if kinds.get("access")}
    modules = modules_with_lectures(list(held))
    overview = [_module_access(modules[module_id], kinds["access"], kinds.get("certificate", []), now)
                for module_id, kinds in held.items()]
    return sorted(overview, key=lambda item: (not item.active, item.module.title))


def _module_access(module: Module, access: list[AccessWindow], certificates: list[AccessWindow],
                   now: datetime) -> ModuleAccess:
    """The windows that have not ended (renewals queued after the current one included), or else all of them."""
    current = [window for window in access if window.valid_until > now] or access
    ends = max(window.valid_until for window in current)
    return ModuleAccess(
        module=module,
        starts=min(window.valid_from for window in current),
        ends=ends,
        active=any(window.valid_from <= now < window.valid_until for window in current),
        days_left=max(0, math.ceil((ends - now).total_seconds() / 86400)),
        has_certificate=any(window.valid_until > now for window in certificates),
    )
