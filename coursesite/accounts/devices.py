"""What a person recognises of a login: "Chrome on Linux" rather than the browser's raw user-agent string."""
from __future__ import annotations

from ua_parser import parse

UNKNOWN = "Unknown browser"


def browser_label(user_agent: str | None) -> str:
    """``Chrome on Linux``, ``Mobile Safari on iOS``, ``Firefox``; ``Unknown browser`` when nothing is recognised."""
    if not user_agent:
        return UNKNOWN
    parsed = parse(user_agent)
    browser = parsed.user_agent.family if parsed.user_agent and parsed.user_agent.family != "Other" else None
    system = parsed.os.family if parsed.os and parsed.os.family != "Other" else None
    if browser and system:
        return f"{browser} on {system}"
    return browser or (f"A browser on {system}" if system else UNKNOWN)
