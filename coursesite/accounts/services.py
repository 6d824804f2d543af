"""Account rules: registration, confirmation, login, passwords, email changes, profile and roles.

Every function that changes data commits once at its end, so a refused request leaves nothing half-saved. Functions
that answer "no" raise ``AccountError`` (or ``TokenError``) whose text is meant for the person at the keyboard.
Mail is sent after the commit: a message never announces a change that was not saved.
"""
from __future__ import annotations

import hmac
import re
import unicodedata
from dataclasses import dataclass
from email.headerregistry import Address

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from coursesite import mail
from coursesite.accounts import passwords, tokens
from coursesite.accounts.audit import record
from coursesite.accounts.models import EMAIL_MAX, ROLES, User
from coursesite.accounts.tokens import CHANGE_EMAIL, CONFIRM_EMAIL, RESET_PASSWORD, TokenError
from coursesite.extensions import db, login_manager
from coursesite.models_base import utcnow

WRONG_CREDENTIALS = "The email address or password is incorrect."


class AccountError(ValueError):
    """A request the account rules refuse; ``str(error)`` says why, for the person who made it."""


class EmailNotConfirmed(AccountError):
    """The password was right but the address is not confirmed yet; a new confirmation link has been sent."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def validated_email(raw: str) -> str:
    """The address to store: checked for form only (no DNS), domain in ASCII, all lower-case."""
    try:
        checked = validate_email(raw.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise AccountError(f"Enter a valid email address: {error}") from None
    email = normalise_email(checked.ascii_email or checked.normalized)
    if len(email) > EMAIL_MAX:
        raise AccountError(f"Email addresses can be at most {EMAIL_MAX} characters long.")
    return email


def clean_text(text: str) -> str:
    """NFC (so "ë" typed two ways is stored one way) with runs of whitespace folded into single spaces."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def stored_form(email: str) -> str:
    """How ``email`` would be stored (so "zoe@bücher.de" finds "zoe@xn--bcher-kva.de"); lower-cased if invalid."""
    try:
        return validated_email(email)
    except AccountError:
        return normalise_email(email)


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == stored_form(email)))


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user whose ``get_id()`` is ``session_id``; a stale session token (see User.end_all_sessions) finds no one."""
    user_id, _, session_token = session_id.partition(":")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.is_active or not hmac.compare_digest(user.session_token, session_token):
        return None
    return user


@dataclass(frozen=True)
class Profile:
    """What a certificate prints about a person; the licence is optional but comes as number and jurisdiction."""

    full_name: str
    profession: str
    licence_number: str = ""
    licence_jurisdiction: str = ""

    def cleaned(self) -> Profile:
        profile = Profile(*(clean_text(value) for value in (self.full_name, self.profession, self.licence_number,
                                                            self.licence_jurisdiction)))
        if not profile.full_name:
            raise AccountError("Enter your full name as it should appear on your certificates.")
        if bool(profile.licence_number) != bool(profile.licence_jurisdiction):
            raise AccountError("Give both your licence number and the jurisdiction that issued it, or neither.")
        return profile

    def apply_to(self, user: User) -> None:
        user.full_name = self.full_name
        user.profession = self.profession
        user.licence_number = self.licence_number
        user.licence_jurisdiction = self.licence_jurisdiction


def require_acceptable_password(password: str, email: str) -> None:
    problem = passwords.password_problem(password, email)
    if problem:
        raise AccountError(problem)


def mail_to(user: User) -> Address:
    return Address(display_name=user.full_name, addr_spec=user.email)


# Registration and confirmation ------------------------------------------------------------------------------------

def register(email: str, password: str, profile: Profile) -> User | None:
    """Create an unconfirmed account and mail a confirmation link.

    For an address that already has an account, mail that address instead and return None: the page answers the
    same either way, so registration cannot be used to find out who has an account.
    """
    email = validated_email(email)
    require_acceptable_password(password, email)
    profile = profile.cleaned()
    existing = user_by_email(email)
    if existing is not None:
        passwords.spend_time_like_a_verification(password)
        send_already_registered(existing)
        return None
    user = User(email=email, password_hash=passwords.hash_password(password))
    profile.apply_to(user)
    try:
        db.session.add(user)
        record(user, "account.registered", user)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        send_already_registered(user_by_email(email))
        return None
    send_confirmation(user)
    return user


def send_already_registered(user: User) -> None:
    mail.send(mail_to(user), "You already have a Coursesite account", "already_registered",
              user=user, login_url=mail.link("auth.login"), reset_url=mail.link("auth.reset_request"))


def send_confirmation(user: User) -> None:
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


# Login --------------------------------------------------------------------------------------------------------------

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
        db.session.commit()
        send_confirmation(user)
        raise EmailNotConfirmed("Please confirm your email address first: we have sent you a new link.")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    record(user, "account.login", user)
    db.session.commit()
    return user


def record_logout(user: User) -> None:
    record(user, "account.logout", user)
    db.session.commit()


# Passwords ----------------------------------------------------------------------------------------------------------

def reset_state(user: User) -> str:
    """Changes whenever the password or the email changes, which makes a reset link single-use."""
    return tokens.fingerprint(user.password_hash, user.email)


def start_password_reset(email: str) -> None:
    """Mail a reset link when the address has an account; do nothing visible otherwise."""
    user = user_by_email(email)
    if user is None:
        return
    token = tokens.make_token(RESET_PASSWORD, {"user": user.id, "state": reset_state(user)})
    mail.send(mail_to(user), "Reset your password", "reset_password",
              user=user, reset_url=mail.link("auth.reset_password", token=token), valid_for=RESET_PASSWORD.validity)


def user_for_reset(token: str) -> User:
    payload = tokens.read_token(RESET_PASSWORD, token)
    user = db.session.get(User, payload.get("user", 0))
    if user is None or not user.is_active or not hmac.compare_digest(reset_state(user), str(payload.get("state"))):
        raise TokenError("This link has already been used or is no longer valid. Please ask for a new one.")
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a mailed link; the link proves the address, so it also confirms it."""
    user = user_for_reset(token)
    require_acceptable_password(new_password, user.email)
    _replace_password(user, new_password)
    user.confirmed_at = user.confirmed_at or utcnow()
    record(user, "account.password_reset", user)
    db.session.commit()
    send_password_changed(user)
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not passwords.verify_password(user.password_hash, current_password):
        raise AccountError("Your current password is incorrect.")
    require_acceptable_password(new_password, user.email)
    _replace_password(user, new_password)
    record(user, "account.password_changed", user)
    db.session.commit()
    send_password_changed(user)


def _replace_password(user: User, new_password: str) -> None:
    """New hash, and every existing session and remember-me cookie of this user stops working."""
    user.password_hash = passwords.hash_password(new_password)
    user.end_all_sessions()


def send_password_changed(user: User) -> None:
    mail.send(mail_to(user), "Your password was changed", "password_changed",
              user=user, reset_url=mail.link("auth.reset_request"))


# Email changes ------------------------------------------------------------------------------------------------------

def request_email_change(user: User, current_password: str, new_email: str) -> str:
    """Mail a confirmation link to the new address; the account keeps its address until the link is followed.

    Returns the normalised new address. When it already belongs to an account, that account's owner is told
    instead, and the answer on the page stays the same.
    """
    if not passwords.verify_password(user.password_hash, current_password):
        raise AccountError("Your current password is incorrect.")
    new_email = validated_email(new_email)
    if new_email == user.email:
        raise AccountError("That is already your email address.")
    owner = user_by_email(new_email)
    if owner is not None:
        send_already_registered(owner)
        return new_email
    token = tokens.make_token(CHANGE_EMAIL, {"user": user.id, "old": user.email, "new": new_email})
    mail.send(Address(display_name=user.full_name, addr_spec=new_email), "Confirm your new email address",
              "change_email", user=user, confirm_url=mail.link("auth.confirm_email_change", token=token),
              valid_for=CHANGE_EMAIL.validity)
    return new_email


def confirm_email_change(token: str) -> User:
    payload = tokens.read_token(CHANGE_EMAIL, token)
    user = db.session.get(User, payload.get("user", 0))
    if user is None or not user.is_active or user.email != payload.get("old"):
        raise TokenError("This link has already been used or is no longer valid.")
    new_email = str(payload.get("new"))
    if user_by_email(new_email) is not None:
        raise TokenError("That address now belongs to another account, so it cannot be used.")
    old_email = user.email
    user.email = new_email
    user.confirmed_at = utcnow()
    record(user, "account.email_changed", user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise TokenError("That address now belongs to another account, so it cannot be used.") from None
    mail.send(Address(display_name=user.full_name, addr_spec=old_email), "Your email address was changed",
              "email_changed", user=user)
    return user


# Profile and roles --------------------------------------------------------------------------------------------------

def update_profile(user: User, profile: Profile) -> None:
    profile.cleaned().apply_to(user)
    record(user, "account.profile_updated", user)
    db.session.commit()


def set_role(user: User, role: str, actor: User | None) -> None:
    """Give ``user`` the role; ``actor`` is the admin who did it (None from the command line)."""
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}: choose one of {', '.join(ROLES)}.")
    if not user.is_active:
        raise AccountError("That account has been deleted.")
    previous, user.role = user.role, role
    record(actor, "account.role_changed", user, previous=previous, role=role)
    db.session.commit()


def create_admin(email: str, password: str, full_name: str) -> User:
    """A confirmed admin account, for the first login of a new installation (``flask users create-admin``)."""
    email = validated_email(email)
    if user_by_email(email) is not None:
        raise AccountError(f"{email} already has an account: use `flask users set-role {email} admin`.")
    require_acceptable_password(password, email)
    user = User(email=email, password_hash=passwords.hash_password(password), role="admin", confirmed_at=utcnow())
    Profile(full_name=full_name, profession="").cleaned().apply_to(user)
    db.session.add(user)
    record(None, "account.admin_created", user)
    db.session.commit()
    return user
