"""Known devices: a browser that has logged in to an account before is let past that account's login limit.

Five wrong passwords a minute lock an account's login form (``views.login``), whoever types them, so a stranger
could lock the owner out. OWASP's credential-stuffing guidance answers with device cookies: after a successful login
the browser gets a long-lived signed cookie naming the account (a hash of its rate-limit key, never the address);
a login attempt for that account from that browser skips the per-account limit and counts against a higher limit
of the device's own instead. Strangers have no such cookie, so they alone meet the account's limit.

The cookie is signed with ``SECRET_KEY`` (itsdangerous), HttpOnly, Secure outside development, SameSite=Lax, for
path "/" and ``__Host-`` prefixed in production; it lists at most :data:`MAX_ACCOUNTS` accounts and lasts
:data:`LIFETIME` from the latest login.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app, request
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.wrappers import Response

SALT = "coursesite.known-device"
LIFETIME = timedelta(days=365)
MAX_ACCOUNTS = 10  # a shared office computer remembers the last ten accounts logged in on it


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _account_tag(account_key: str) -> str:
    """What the cookie keeps of an account: a short hash of its rate-limit key (``addresses.rate_limit_key``)."""
    return hashlib.sha256(account_key.encode()).hexdigest()[:20]


def _read() -> dict[str, Any] | None:
    """The device cookie's content when its signature and age check out, else None."""
    raw = request.cookies.get(current_app.config["KNOWN_DEVICE_COOKIE_NAME"])
    if not raw:
        return None
    try:
        content = _serializer().loads(raw, max_age=int(LIFETIME.total_seconds()))
    except BadData:
        return None
    valid = (isinstance(content, dict) and isinstance(content.get("device"), str)
             and isinstance(content.get("accounts"), list))
    return content if valid else None


def is_known_for(account_key: str) -> bool:
    """Has this browser logged in to the account of ``account_key`` before?"""
    content = _read()
    return content is not None and _account_tag(account_key) in content["accounts"]


def device_id() -> str:
    """This browser's device id (the key of its own login limit); "" without a valid cookie."""
    content = _read()
    return content["device"] if content else ""


def remember(response: Response, account_key: str) -> None:
    """After a successful login: add the account to this browser's device cookie (made when it has none)."""
    content = _read() or {"device": secrets.token_urlsafe(16), "accounts": []}
    tag = _account_tag(account_key)
    accounts = [tag, *(known for known in content["accounts"] if known != tag)][:MAX_ACCOUNTS]
    config = current_app.config
    response.set_cookie(config["KNOWN_DEVICE_COOKIE_NAME"],
                        _serializer().dumps({"device": content["device"], "accounts": accounts}),
                        max_age=int(LIFETIME.total_seconds()), path="/", secure=config["SESSION_COOKIE_SECURE"],
                        httponly=True, samesite="Lax")
