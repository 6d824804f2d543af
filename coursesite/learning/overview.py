"""'My learning': the modules a learner holds, from billing's access windows and the catalogue's modules, each with the
learner's progress (coursesite/learning/progress.py) and where to continue (coursesite/learning/module_home.py)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from coursesite.billing.access import AccessWindow, access_windows
from coursesite.catalog.models import Module
from coursesite.catalog.services import modules_with_lectures
from coursesite.learning.module_home import ResumePoint, resume_point
from coursesite.learning.progress import ModuleCompletion, completions
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
    progress: ModuleCompletion
    resume: ResumePoint | None  # where "Continue" leads


def learning_overview(user_id: int, now: datetime | None = None) -> list[ModuleAccess]:
    """Every module the user holds or held access to, current ones first, then by title, with the learner's progress
    (four queries at most, however many modules)."""
    now = now or utcnow()
    by_module: dict[int, dict[str, list[AccessWindow]]] = {}
    for window in access_windows(user_id):
        by_module.setdefault(window.module_id, {}).setdefault(window.kind, []).append(window)
    held = {module_id: kinds for module_id, kinds in by_module.items() if kinds.get("access")}
    modules = modules_with_lectures(list(held))
    progress = completions(user_id, [modules[module_id] for module_id in held]) if held else {}
    overview = [_module_access(modules[module_id], kinds["access"], kinds.get("certificate", []), now,
                               progress[module_id])
                for module_id, kinds in held.items()]
    return sorted(overview, key=lambda item: (not item.active, item.module.title))


def _module_access(module: Module, access: list[AccessWindow], certificates: list[AccessWindow],
                   now: datetime, progress: ModuleCompletion) -> ModuleAccess:
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
        progress=progress,
        resume=resume_point(progress),
    )
