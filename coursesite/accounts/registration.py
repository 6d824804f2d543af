"""Registration and the confirmation of a new account's email address.

Like every account rule, each function that changes data commits once at its end, with the mail it sends (which
goes out only after that commit, coursesite/mail.py): a refused request leaves nothing half-saved, and a message
never announces a change that was not saved.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from coursesite import jobs, mail
from coursesite.accounts import passwords, tokens
from coursesite.accounts.addresses import account_email, mail_to, send_already_registered, user_by_email
from coursesite.accounts.audit import record
from coursesite.accounts.models import User
from coursesite.accounts.personal_data import erase_account
from coursesite.accounts.profile import Profile
from coursesite.accounts.tokens import CONFIRM_EMAIL, TokenError
from coursesite.extensions import db
from coursesite.models_base import utcnow

REGISTER_OR_NOTIFY = "accounts.register_or_notify"


def register(email: str, password: str, profile: Profile) -> None:
    """Check the form, hash the password and enqueue one ``register_or_notify`` job; commits.

    The request does exactly this whether or not the address has an account, and answers the same page: only the
    job, later and elsewhere, looks the address up. So neither the page nor the time it takes tells who has an
    account (bench/registration.py measures both paths).
    """
    email = account_email(email)
    passwords.require_acceptable_password(password, email)
    profile = profile.cleaned()
    jobs.enqueue(REGISTER_OR_NOTIFY, {"email": email, "password_hash": passwords.hash_password(password),
                                      "profile": asdict(profile)}, label=f"registration of {email}")
    db.session.commit()


@jobs.handles(REGISTER_OR_NOTIFY, forget_payload_when_done=True)
def register_or_notify(payload: dict[str, Any]) -> None:
    """The job of :func:`register`: a new address gets an unconfirmed account and a confirmation link; an address
    with an account gets "you already have an account" (at most once an hour). Its payload holds the password's
    hash, so the row forgets it once done (docs/jobs.md)."""
    email = payload["email"]
    existing = user_by_email(email)
    if existing is not None:
        send_already_registered(existing)
        db.session.commit()
        return
    user = User(email=email, password_hash=payload["password_hash"])
    Profile(**payload["profile"]).apply_to(user)
    try:
        db.session.add(user)
        record(user, "account.registered", user)  # flushes: the confirmation link needs the user's id
        send_confirmation(user)
        db.session.commit()
    except IntegrityError:  # registered at the same moment by another job: answer as if that one had come first
        db.session.rollback()
        winner = user_by_email(email)
        if winner is not None:
            send_already_registered(winner)
            db.session.commit()


def delete_unconfirmed(now: datetime, days: int) -> int:
    """Accounts (of learners) whose address was not confirmed within ``days`` of registering are erased as account
    deletion erases one (personal_data.erase_account: the row stays, anonymised, for the audit events naming it);
    how many. Each probe of an unknown address on the registration form creates such an account."""
    cutoff = now - timedelta(days=days)
    expired = list(db.session.scalars(
        select(User).where(User.confirmed_at.is_(None), User.deleted_at.is_(None), User.role == "learner",
                           User.created_at < cutoff).order_by(User.id)))
    for user in expired:
        erase_account(user)
        record(None, "account.expired_unconfirmed", user, days=days)
    db.session.commit()
    return len(expired)


def send_confirmation(user: User) -> None:
    """With the caller's transaction (no commit)."""
    token = tokens.make_token(CONFIRM_EMAIL, {"user": user.id, "email": user.email})
    mail.send(mail_to(user), "Confirm your email address", "confirm_email",
              user=user, confirm_url=mail.link("auth.confirm", token=token),
              valid_for=CONFIRM_EMAIL.validity)


def confirm_email(token: str) -> User:
    payload = tokens.read_token(CONFIRM_EMAIL, token)
    user = db.session.get(User, payload.get("user", 0))
    if user is None or not user.is_active or user.email != payload.get("email"):
        raise TokenError("This link is no longer valid. Log in to have a new one sent to you.")
    if user.confirmed_at is not None:
        raise TokenError("Your email address is already confirmed. You can log in.")
    user.confirmed_at = utcnow()
    record(user, "account.email_confirmed", user)
    db.session.commit()
    return user
