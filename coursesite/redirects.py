"""Where a ``next`` parameter may send someone: only to a path on this site."""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

# Enough to see through any encoding a browser or proxy would undo before acting on the address.
DECODING_ROUNDS = 3


def _looks_off_site(candidate: str) -> bool:
    if not candidate.startswith("/") or candidate.startswith("//"):
        return True
    if "\\" in candidate or any(ord(char) < 32 or ord(char) == 127 for char in candidate):
        return True
    parts = urlsplit(candidate)
    return bool(parts.scheme or parts.netloc)


def safe_next_path(target: str | None) -> str | None:
    """``target`` when it is a relative path on this site, else None.

    Refuses ``//evil``, ``/\\evil``, ``https://…``, ``javascript:…``, control characters (browsers drop tabs and
    newlines, turning ``/\\t/evil`` into ``//evil``) and all of those percent-encoded once or more.
    """
    if not target or len(target) > 2000:
        return None
    candidate = target
    for _ in range(DECODING_ROUNDS + 1):
        if _looks_off_site(candidate):
            return None
        candidate = unquote(candidate)
    return target
