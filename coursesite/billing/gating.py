"""``requires_module_access``: the one way a view says "my content needs access to a module", and enforces it.

The decorator runs a *gate* before the view: ``gate(user, **view_args)`` loads what the view is about and asks the
access policy (:mod:`coursesite.billing.access`). It returns either what it loaded, which the view receives as its
first argument, or :class:`Refused` (by default a 404; or the response to send, say a "locked" page). The wrapped
view is tagged, so ``tests/billing/test_gated_routes.py`` finds every gated route in ``app.url_map`` and checks it
refuses people without access, and every other route must be named in that test's list of ungated routes: a new
module page cannot go unchecked by being left undecorated.

::

    @bp.get("/modules/<slug>/test")
    @requires_module_access(module_gate)
    def test_page(module, slug): ...
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user

MARKER = "requires_module_access"


@dataclass(frozen=True)
class Refused:
    """What a gate returns to stop the view: ``response`` (None: a 404)."""

    response: Any = None


def requires_module_access(gate: Callable[..., Any]) -> Callable:
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(**view_args):
            allowed = gate(current_user, **view_args)
            if isinstance(allowed, Refused):
                if allowed.response is None:
                    abort(404)
                return allowed.response
            return view(allowed, **view_args)

        setattr(guarded, MARKER, True)
        return guarded

    return decorate


def is_gated(view: Callable) -> bool:
    return getattr(view, MARKER, False) is True
