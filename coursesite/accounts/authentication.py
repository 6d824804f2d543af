"""Logging in and out: checking credentials, and starting and ending server-side sessions (see accounts.sessions)."""
from __future__ import annotations

from coursesite.accounts import passwords, sessions
from coursesite.accounts.addresses import claim_address_mail, user_by_email
from coursesite.accounts.audit import record
from coursesite.accounts.errors import AccountError
from coursesite.accounts.models import User
from coursesite.accounts.registration import send_confirmation
from coursesite.extensions import db

WRONG_CREDENTIALS = "The email address or password is incorrect."


class EmailNotConfirmed(AccountError):
    """The password was right but the address is not confirmed yet; a new confirmation link goes out (at most one an
    hour per address)."""


def authenticate(email: str, password: str) -> User:
    """The user with these credentials (their hash upgraded if the parameters changed), or AccountError.

    Unknown addresses and wrong passwords get the same message after the same amount of hashing work.
    """
    user = user_by_email(email)
    if user is None:
        passwords.spend_time_like_a_verification(password)
        record(None, "account.login_failed", reason="unknown email")
        db.session.commit()
        raise AccountError(WRONG_CREDENTIALS)
    if not passwords.verify_password(user.password_hash, password):
        record(None, "account.login_failed", user, reason="wrong password")
        db.session.commit()
        raise AccountError(WRONG_CREDENTIALS)
    if user.confirmed_at is None:
        record(None, "account.login_failed", user, reason="email not confirmed")
        if claim_address_mail(user.email):  # a new link at most once an hour, however often someone logs in
            send_confirmation(user)
        db.session.commit()
        raise EmailNotConfirmed("Please confirm your email address first: follow the link we have sent you (a new one "
                                "goes out at most once an hour).")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    record(user, "account.login", user)
    db.session.commit()
    return user


def start_login_session(user: User, remember: bool, user_agent: str = "", ip_address: str | None = None) -> str:
    """A new server-side session (see accounts.sessions); returns its token, also set as ``user.login_token``."""
    token = sessions.start(user, remember, user_agent, ip_address)
    db.session.commit()
    return token


def logout(user: User) -> None:
    """End the session ``user`` was loaded through: its cookies (session and remember-me) stop working."""
    sessions.revoke(user)
    record(user, "account.logout", user)
    db.session.commit()


def end_other_sessions(user: User) -> int:
    """"Sign out other sessions": every session of ``user`` but the current one ends. Returns how many did."""
    ended = sessions.revoke_all(user, keep_current=True)
    record(user, "account.sessions_revoked", user, count=ended)
    db.session.commit()
    return ended
