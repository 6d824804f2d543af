"""Signed, expiring tokens for the links we mail: confirm an address, reset a password, change an email.

Each purpose signs with its own salt, so a token made for one purpose is worthless for another. A token carries what
it must still match when it is used (the email it was sent to, a fingerprint of the password), which makes every
token single-use: once the account changes, the token no longer matches.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


@dataclass(frozen=True)
class TokenPurpose:
    salt: str
    max_age: timedelta
    validity: str  # max_age in words, for the mail that carries the link


CONFIRM_EMAIL = TokenPurpose("coursesite.confirm-email", timedelta(days=3), "3 days")
RESET_PASSWORD = TokenPurpose("coursesite.reset-password", timedelta(hours=1), "1 hour")
CHANGE_EMAIL = TokenPurpose("coursesite.change-email", timedelta(days=1), "24 hours")


class TokenError(ValueError):
    """A token that cannot be used; ``str(error)`` is a message for the person who followed the link."""


def _serializer(purpose: TokenPurpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose.salt)


def make_token(purpose: TokenPurpose, payload: dict[str, Any]) -> str:
    return _serializer(purpose).dumps(payload)


def read_token(purpose: TokenPurpose, token: str) -> dict[str, Any]:
    """The payload of a valid, unexpired token; TokenError otherwise."""
    try:
        payload = _serializer(purpose).loads(token, max_age=int(purpose.max_age.total_seconds()))
    except SignatureExpired:
        raise TokenError("This link has expired. Please ask for a new one.") from None
    except BadSignature:
        raise TokenError("This link is not valid. Check that you copied all of it, or ask for a new one.") from None
    if not isinstance(payload, dict):
        raise TokenError("This link is not valid. Check that you copied all of it, or ask for a new one.")
    return payload


def fingerprint(*values: str) -> str:
    """A short digest of account state (password hash, email) that a token must still match when used."""
    return hashlib.sha256("\x00".join(values).encode()).hexdigest()[:32]
