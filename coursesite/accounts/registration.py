"""Registration and the confirmation of a new account's email address.

Like every account rule, each function that changes data commits once at its end, with the mail it sends (which
goes out only after that commit, coursesite/mail.py): a refused request leaves nothing half-saved, and a message
never announces a change that was not saved.
"""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from coursesite import mail
from coursesite.accounts import passwords, tokens
from coursesite.accounts.addresses import account_email, mail_to, send_already_registered, user_by_email
from coursesite.accounts.audit import record
from coursesite.accounts.models import User
from coursesite.accounts.profile import Profile
from coursesite.accounts.tokens import CONFIRM_EMAIL, TokenError
from coursesite.extensions import db
from coursesite.models_base import utcnow


def register(email: str, password: str, profile: Profile) -> User | None:
    """Create an unconfirmed account and mail a confirmation link.

    For an address that already has an account, mail that address instead and return None: the page answers the
    same either way, so registration cannot be used to find out who has an account.
    """
    email = account_email(email)
    passwords.require_acceptable_password(password, email)
    profile = profile.cleaned()
    existing = user_by_email(email)
    if existing is not None:
        passwords.spend_time_like_a_verification(password)
        send_already_registered(existing)
        db.session.commit()
        return None
    user = User(email=email, password_hash=passwords.hash_password(password))
    profile.apply_to(user)
    try:
        db.session.add(user)
        record(user, "account.registered", user)  # flushes: the confirmation link needs the user's id
        send_confirmation(user)
        db.session.commit()
    except IntegrityError:  # registered at the same moment by another request: answer as if it had come first
        db.session.rollback()
        winner = user_by_email(email)
        if winner is not None:
            send_already_registered(winner)
            db.session.commit()
        return None
    return user


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
