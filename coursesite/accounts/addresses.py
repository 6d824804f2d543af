"""An account's email address: how it is stored and looked up, mailing its owner, and the hourly limit on mail to an
address that someone asked to use (to register, or to move an account to it)."""
from __future__ import annotations

from email.headerregistry import Address

from limits import parse as parse_limit
from sqlalchemy import select

from coursesite import mail
from coursesite.accounts.errors import AccountError
from coursesite.accounts.models import User
from coursesite.extensions import db, limiter
from coursesite.text import EMAIL_MAX, InvalidEmail, normalise_email, validated_email

# "You already have an account" goes to an address at most this often, however often someone registers it.
# "Someone asked to use this address" mails (already registered, confirm a new address): once an hour per address.
ADDRESS_MAIL_LIMIT = parse_limit("1/hour")


def account_email(raw: str) -> str:
    """``text.validated_email``, refused like every other account rule: with an ``AccountError``."""
    try:
        return validated_email(raw)
    except InvalidEmail as error:
        raise AccountError(str(error)) from None


def stored_form(email: str) -> str:
    """How ``email`` would be stored (so "zoe@bücher.de" finds "zoe@xn--bcher-kva.de"); lower-cased if invalid."""
    try:
        return validated_email(email)
    except InvalidEmail:
        return normalise_email(email)


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == stored_form(email)))


def rate_limit_key(email: str) -> str:
    """The key of "per account" rate limits: the address as it would be looked up (``stored_form``), so every way
    of typing one address (case, full-width letters, IDNA, "。" for ".") counts against the same limit."""
    return "email:" + stored_form(email)[:EMAIL_MAX]


def mail_to(user: User) -> Address:
    return mail.recipient(user.full_name, user.email)


def claim_address_mail(address: str) -> bool:
    """May we mail ``address`` because someone asked to use it? Once an hour per address, whether or not it has an
    account: the slot lives in the rate limiter's storage (memory, or Redis when ``REDIS_URL`` is set), so the
    answer, and the time a request takes, never depend on who owns it."""
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
