"""Cached fragments of public pages, keyed by the content revision.

Every import (or any other catalogue change) bumps the revision, so a cached fragment can never outlive the
content it shows; old entries simply stop being asked for and expire. One indexed single-row query per request
reads the revision, which keeps several worker processes in step without any cross-process signalling.
"""
from __future__ import annotations

from typing import Any, Callable

from coursesite.catalog.services import content_revision
from coursesite.extensions import cache


def cached(name: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per content revision; a None result (say, an unknown slug) is not stored."""
    key = f"content:{content_revision()}:{name}"
    value = cache.get(key)
    if value is None:
        value = compute()
        if value is not None:
            cache.set(key, value)
    return value
