"""Password hashing (argon2id) and the password policy.

Hashing follows OWASP's floor for argon2id: 19 MiB of memory, 2 iterations, 1 lane. Hashes made with other
parameters are replaced at the next successful login (``needs_rehash``).

The policy follows NIST SP 800-63B: length matters (12 to 128 characters), composition rules do not, and a password
found in a list of commonly used passwords is refused. ``common-passwords.txt.gz`` beside this file merges the two
lists that ship in PyPI packages: Django's CommonPasswordValidator list (20,000 passwords, BSD licence) and zxcvbn's
password frequency list (30,000, MIT licence), lower-cased and deduplicated: 40,101 entries.
"""
from __future__ import annotations

import gzip
import secrets
import unicodedata
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

PASSWORD_MIN = 12
PASSWORD_MAX = 128
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt.gz")
# Digits and symbols people append to a common word to pass a length rule ("password2024!").
DECORATION = "0123456789!@#$%^&*()-_=+.,?~ "

HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)


def _prepared(password: str) -> str:
    """The same characters typed on different keyboards can arrive as different code points; NFKC unifies them."""
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    return HASHER.hash(_prepared(password))


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; an unusable hash (e.g. of a deleted account) never matches."""
    try:
        return HASHER.verify(password_hash, _prepared(password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False


@cache
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(16))


def spend_time_like_a_verification(password: str) -> None:
    """Verify against a throw-away hash so that an unknown email takes as long to refuse as a wrong password."""
    verify_password(_dummy_hash(), password)


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.rstrip("\n") for line in lines)


def is_common(password: str) -> bool:
    lowered = _prepared(password).lower()
    undecorated = lowered.rstrip(DECORATION)
    return lowered in common_passwords() or (len(undecorated) >= 4 and undecorated in common_passwords())


def password_problem(password: str, email: str = "") -> str | None:
    """Why ``password`` is refused, in words for the person choosing it; None when it is acceptable."""
    if len(password) < PASSWORD_MIN:
        return f"Use at least {PASSWORD_MIN} characters. A few unrelated words make a strong password."
    if len(password) > PASSWORD_MAX:
        return f"Use at most {PASSWORD_MAX} characters."
    if len(set(password)) < 5:
        return "This password repeats too few characters. Choose something less predictable."
    if is_common(password):
        return "This is one of the most commonly used passwords. Choose something less predictable."
    if email and password.strip().lower() in (email.lower(), email.lower().partition("@")[0]):
        return "Do not use your email address as your password."
    return None
