"""Where a ``next`` parameter may send someone: only to a path on this site; and the one guarded parse of a URL a
client sent (a ``Referer``, an ``Origin``)."""
from __future__ import annotations

from urllib.parse import SplitResult, unquote, urlsplit

# Enough to see through any encoding a browser or proxy would undo before acting on the address.
DECODING_ROUNDS = 3


def split_url(value: str | None) -> SplitResult | None:
    """``value`` split into its parts, or None when it is no URL a parser can read: an unclosed IPv6 bracket
    (``http://[::1/x``) or a port that is no number (``http://host:x/``), on which ``urllib`` raises ValueError.

    The one home for parsing what a client sent: every check of a header such as ``Referer`` goes through here, so
    an odd header is refused like a foreign one instead of failing with a 500.
    """
    try:
        parts = urlsplit(value or "")
        _ = parts.port, parts.hostname  # both parse lazily, and raise on the same faults
    except ValueError:
        return None
    return parts


def _looks_off_site(candidate: str) -> bool:
    if not candidate.startswith("/") or candidate.startswith("//"):
        return True
    if "\\" in candidate or any(ord(char) < 32 or ord(char) == 127 for char in candidate):
        return True
    parts = split_url(candidate)
    return parts is None or bool(parts.scheme or parts.netloc)


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
