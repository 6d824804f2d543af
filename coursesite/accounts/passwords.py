"""Password hashing (argon2id) and the password policy.

Hashing follows OWASP's floor for argon2id: 19 MiB of memory, 2 iterations, 1 lane. Hashes made with other
parameters are replaced at the next successful login (``needs_rehash``).

The policy follows NIST SP 800-63B: length matters (12 to 128 characters), composition rules do not, and a password
found in a list of commonly used passwords is refused. ``common-passwords.txt.gz`` beside this file merges the two
lists that ship in PyPI packages: Django's CommonPasswordValidator list (20,000 passwords, BSD licence) and zxcvbn's
password frequency list (30,000, MIT licence), lower-cased and deduplicated: 40,101 entries.

The flows built on them live here too: re-authentication before a sensitive change, the reset by mailed link, and
the change from the account page. Each commits once at its end and mails after the commit.
"""
from __future__ import annotations

import gzip
import hmac
import secrets
import unicodedata
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from coursesite import mail
from coursesite.accounts import sessions, tokens
from coursesite.accounts.addresses import account_email, mail_to, user_by_email
from coursesite.accounts.audit import record
from coursesite.accounts.errors import AccountError
from coursesite.accounts.models import User
from coursesite.accounts.tokens import RESET_PASSWORD, TokenError
from coursesite.extensions import db
from coursesite.models_base import utcnow

PASSWORD_MIN = 12
PASSWORD_MAX = 128
WRONG_CURRENT_PASSWORD = "Your current password is incorrect."  # noqa: S105 - a message, not a password
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


# Re-authentication, resets and changes ----------------------------------------------------------------------------

def require_acceptable_password(password: str, email: str) -> None:
    problem = password_problem(password, email)
    if problem:
        raise AccountError(problem)


def require_current_password(user: User, password: str, form: str, message: str = WRONG_CURRENT_PASSWORD) -> None:
    """Re-authentication for a sensitive change; a wrong password is audited (``account.reauth_failed``)."""
    if not verify_password(user.password_hash, password):
        record(user, "account.reauth_failed", user, form=form)
        db.session.commit()
        raise AccountError(message)


def reset_state(user: User) -> str:
    """Changes whenever the password or the email changes, which makes a reset link single-use."""
    return tokens.fingerprint(user.password_hash, user.email)


def start_password_reset(email: str) -> None:
    """Mail a reset link when the address has an account, and a "there is no account here" note otherwise.

    Both cases send one message, so the time the request takes says nothing about whether the address is known.
    """
    user = user_by_email(email)
    if user is None:
        mail.send(account_email(email), "Password reset request for Coursesite", "reset_unknown",
                  register_url=mail.link("auth.register"), reset_url=mail.link("auth.reset_request"))
    else:
        token = tokens.make_token(RESET_PASSWORD, {"user": user.id, "state": reset_state(user)})
        mail.send(mail_to(user), "Reset your password", "reset_password",
                  user=user, reset_url=mail.link("auth.reset_password", token=token),
                  valid_for=RESET_PASSWORD.validity)
    db.session.commit()


def user_for_reset(token: str) -> User:
    payload = tokens.read_token(RESET_PASSWORD, token)
    user = db.session.get(User, payload.get("user", 0))
    if user is None or not user.is_active or not hmac.compare_digest(reset_state(user), str(payload.get("state"))):
        raise TokenError("This link has already been used or is no longer valid. Please ask for a new one.")
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a mailed link; the link proves the address, so it also confirms it."""
    user = user_for_reset(token)
    require_new_password(user, new_password)
    _replace_password(user, new_password)
    user.confirmed_at = user.confirmed_at or utcnow()
    record(user, "account.password_reset", user)
    send_password_changed(user)
    db.session.commit()
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Every session ends, this one too: the view starts a fresh one, so no copy of the old cookies works."""
    require_current_password(user, current_password, "password")
    require_new_password(user, new_password)
    _replace_password(user, new_password)
    record(user, "account.password_changed", user)
    send_password_changed(user)
    db.session.commit()


def require_new_password(user: User, new_password: str) -> None:
    require_acceptable_password(new_password, user.email)
    if verify_password(user.password_hash, new_password):
        raise AccountError("That is your current password: choose a new one.")


def _replace_password(user: User, new_password: str) -> None:
    """New hash; every session and remember-me cookie of this user stops working, and a pending email change (which
    whoever knew the old password may have asked for) is cancelled."""
    user.password_hash = hash_password(new_password)
    user.pending_email = user.pending_email_nonce = None
    sessions.revoke_all(user)


def send_password_changed(user: User) -> None:
    """With the change's transaction (no commit)."""
    mail.send(mail_to(user), "Your password was changed", "password_changed",
              user=user, reset_url=mail.link("auth.reset_request"))
