"""Account rules: registration, confirmation, login, passwords, email changes, profile and roles.

Every function that changes data commits once at its end, so a refused request leaves nothing half-saved. Functions
that answer "no" raise ``AccountError`` (or ``TokenError``) whose text is meant for the person at the keyboard.
Mail is sent after the commit: a message never announces a change that was not saved.
"""
from __future__ import annotations

import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from email.headerregistry import Address

from email_validator import EmailNotValidError, validate_email
from limits import parse as parse_limit
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from coursesite import mail
from coursesite.accounts import passwords, sessions, tokens
from coursesite.accounts.audit import record
from coursesite.accounts.models import (
    EMAIL_MAX, FULL_NAME_MAX, LICENCE_JURISDICTION_MAX, LICENCE_NUMBER_MAX, PROFESSION_MAX, ROLES, User,
)
from coursesite.accounts.tokens import CHANGE_EMAIL, CONFIRM_EMAIL, RESET_PASSWORD, TokenError
from coursesite.extensions import db, limiter
from coursesite.models_base import utcnow

WRONG_CREDENTIALS = "The email address or password is incorrect."
WRONG_CURRENT_PASSWORD = "Your current password is incorrect."
# "You already have an account" goes to an address at most this often, however often someone registers it.
# "Someone asked to use this address" mails (already registered, confirm a new address): once an hour per address.
ADDRESS_MAIL_LIMIT = parse_limit("1/hour")


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


# Format characters (Unicode Cf) that names need: ZERO WIDTH NON-JOINER and JOINER shape Persian, Arabic and Indic
# script. Every other Cf (bidi overrides and isolates U+202A-U+202E, U+2066-U+2069, soft hyphen, BOM...) stays out.
JOINERS = {"\u200c", "\u200d"}


def is_printable(text: str) -> bool:
    """Letters from any script, with the joiners some scripts need; no control, bidi or other invisible characters.
    The rule for every name a person types, in a form or a CSV file."""
    return not any(unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn") and char not in JOINERS
                   for char in text)


def stored_form(email: str) -> str:
    """How ``email`` would be stored (so "zoe@bücher.de" finds "zoe@xn--bcher-kva.de"); lower-cased if invalid."""
    try:
        return validated_email(email)
    except AccountError:
        return normalise_email(email)


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == stored_form(email)))


def rate_limit_key(email: str) -> str:
    """The key of "per account" rate limits: the address as it would be looked up (``stored_form``), so every way
    of typing one address (case, full-width letters, IDNA, "。" for ".") counts against the same limit."""
    return "email:" + stored_form(email)[:EMAIL_MAX]


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
        for value, limit, what in ((profile.full_name, FULL_NAME_MAX, "Your full name"),
                                   (profile.profession, PROFESSION_MAX, "Your profession"),
                                   (profile.licence_number, LICENCE_NUMBER_MAX, "The licence number"),
                                   (profile.licence_jurisdiction, LICENCE_JURISDICTION_MAX, "The jurisdiction")):
            if len(value) > limit:
                raise AccountError(f"{what} can be at most {limit} characters long.")
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


def require_current_password(user: User, password: str, form: str, message: str = WRONG_CURRENT_PASSWORD) -> None:
    """Re-authentication for a sensitive change; a wrong password is audited (``account.reauth_failed``)."""
    if not passwords.verify_password(user.password_hash, password):
        record(user, "account.reauth_failed", user, form=form)
        db.session.commit()
        raise AccountError(message)


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


def claim_address_mail(address: str) -> bool:
    """May we mail ``address`` because someone asked to use it (to register, or to move an account to it)? Once an
    hour per address, whether or not it has an account: the slot lives in the rate limiter's storage (memory, or
    Redis when ``REDIS_URL`` is set), so the answer, and the time a request takes, never depend on who owns it."""
    if not limiter.enabled:  # RATELIMIT_ENABLED=False turns every limit off, this one too
        return True
    return limiter.limiter.hit(ADDRESS_MAIL_LIMIT, "address-mail", address)


def send_already_registered(user: User) -> None:
    """Tell the owner someone tried to register their address: at most once an hour."""
    if claim_address_mail(user.email):
        mail_already_registered(user)


def mail_already_registered(user: User) -> None:
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


# Passwords ----------------------------------------------------------------------------------------------------------

def reset_state(user: User) -> str:
    """Changes whenever the password or the email changes, which makes a reset link single-use."""
    return tokens.fingerprint(user.password_hash, user.email)


def start_password_reset(email: str) -> None:
    """Mail a reset link when the address has an account, and a "there is no account here" note otherwise.

    Both cases send one message, so the time the request takes says nothing about whether the address is known.
    """
    user = user_by_email(email)
    if user is None:
        mail.send(validated_email(email), "Password reset request for Coursesite", "reset_unknown",
                  register_url=mail.link("auth.register"), reset_url=mail.link("auth.reset_request"))
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
    require_new_password(user, new_password)
    _replace_password(user, new_password)
    user.confirmed_at = user.confirmed_at or utcnow()
    record(user, "account.password_reset", user)
    db.session.commit()
    send_password_changed(user)
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Every session ends, this one too: the view starts a fresh one, so no copy of the old cookies works."""
    require_current_password(user, current_password, "password")
    require_new_password(user, new_password)
    _replace_password(user, new_password)
    record(user, "account.password_changed", user)
    db.session.commit()
    send_password_changed(user)


def require_new_password(user: User, new_password: str) -> None:
    require_acceptable_password(new_password, user.email)
    if passwords.verify_password(user.password_hash, new_password):
        raise AccountError("That is your current password: choose a new one.")


def _replace_password(user: User, new_password: str) -> None:
    """New hash; every session and remember-me cookie of this user stops working, and a pending email change (which
    whoever knew the old password may have asked for) is cancelled."""
    user.password_hash = passwords.hash_password(new_password)
    user.pending_email = user.pending_email_nonce = None
    sessions.revoke_all(user)


def send_password_changed(user: User) -> None:
    mail.send(mail_to(user), "Your password was changed", "password_changed",
              user=user, reset_url=mail.link("auth.reset_request"))


# Email changes ------------------------------------------------------------------------------------------------------

def request_email_change(user: User, current_password: str, new_email: str) -> str:
    """Mail a confirmation link to the new address; the account keeps its address until the link is followed.

    The change waits on the user (``pending_email``) with a nonce that the link carries: a request for another
    address replaces it, so only the latest link works, and following it clears it, so the link works once.
    Everything is recorded the same way whether or not the new address belongs to an account (its owner is then
    told instead, and the link will refuse it); the mail to an address goes at most once an hour, and a repeated
    request within that hour keeps the link already sent. Returns the normalised new address.
    """
    require_current_password(user, current_password, "email")
    new_email = validated_email(new_email)
    if new_email == user.email:
        raise AccountError("That is already your email address.")
    owner = user_by_email(new_email)
    may_mail = claim_address_mail(new_email)
    if user.pending_email != new_email or may_mail:
        user.pending_email, user.pending_email_nonce = new_email, secrets.token_hex(16)
    record(user, "account.email_change_requested", user)
    db.session.commit()
    if not may_mail:
        return new_email
    if owner is not None:
        mail_already_registered(owner)
        return new_email
    token = tokens.make_token(CHANGE_EMAIL, {"user": user.id, "nonce": user.pending_email_nonce})
    mail.send(Address(display_name=user.full_name, addr_spec=new_email), "Confirm your new email address",
              "change_email", user=user, confirm_url=mail.link("auth.confirm_email_change", token=token),
              valid_for=CHANGE_EMAIL.validity)
    return new_email


def confirm_email_change(token: str) -> User:
    payload = tokens.read_token(CHANGE_EMAIL, token)
    user = db.session.get(User, payload.get("user", 0))
    if user is None or not user.is_active or not user.pending_email or not user.pending_email_nonce:
        raise TokenError("This link has already been used or is no longer valid.")
    if not hmac.compare_digest(user.pending_email_nonce, str(payload.get("nonce"))):
        raise TokenError("You asked to change your address again after this link was sent, so it no longer works: "
                         "use the link in the most recent message.")
    new_email = user.pending_email
    if user_by_email(new_email) is not None:
        raise TokenError("That address now belongs to another account, so it cannot be used.")
    old_email = user.email
    user.email = new_email
    user.pending_email = user.pending_email_nonce = None
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
