"""Moving an account to another email address: the account keeps its address until the new one is confirmed."""
from __future__ import annotations

import hmac
import secrets

from sqlalchemy.exc import IntegrityError

from coursesite import mail
from coursesite.accounts import tokens
from coursesite.accounts.addresses import account_email, claim_address_mail, mail_already_registered, user_by_email
from coursesite.accounts.audit import record
from coursesite.accounts.errors import AccountError
from coursesite.accounts.models import User
from coursesite.accounts.passwords import require_current_password
from coursesite.accounts.tokens import CHANGE_EMAIL, TokenError
from coursesite.extensions import db
from coursesite.models_base import utcnow

TAKEN = "That address now belongs to another account, so it cannot be used."

def request_email_change(user: User, current_password: str, new_email: str) -> str:
    """Mail a confirmation link to the new address; the account keeps its address until the link is followed.

    The change waits on the user (``pending_email``) with a nonce that the link carries: a request for another
    address replaces it, so only the latest link works, and following it clears it, so the link works once.
    Everything is recorded the same way whether or not the new address belongs to an account (its owner is then
    told instead, and the link will refuse it); the mail to an address goes at most once an hour, and a repeated
    request within that hour keeps the link already sent. Returns the normalised new address.
    """
    require_current_password(user, current_password, "email")
    new_email = account_email(new_email)
    if new_email == user.email:
        raise AccountError("That is already your email address.")
    owner = user_by_email(new_email)
    may_mail = claim_address_mail(new_email)
    if user.pending_email != new_email or may_mail:
        user.pending_email, user.pending_email_nonce = new_email, secrets.token_hex(16)
    record(user, "account.email_change_requested", user)
    if may_mail and owner is not None:
        mail_already_registered(owner)
    elif may_mail:
        token = tokens.make_token(CHANGE_EMAIL, {"user": user.id, "nonce": user.pending_email_nonce})
        mail.send(mail.recipient(user.full_name, new_email), "Confirm your new email address",
                  "change_email", user=user, confirm_url=mail.link("auth.confirm_email_change", token=token),
                  valid_for=CHANGE_EMAIL.validity)
    db.session.commit()
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
        raise TokenError(TAKEN)
    old_email = user.email
    user.email = new_email
    user.pending_email = user.pending_email_nonce = None
    user.confirmed_at = utcnow()
    record(user, "account.email_changed", user)
    mail.send(mail.recipient(user.full_name, old_email), "Your email address was changed",
              "email_changed", user=user)
    try:
        db.session.commit()
    except IntegrityError:  # the address was taken meanwhile: the change and its mail are rolled back together
        db.session.rollback()
        raise TokenError(TAKEN) from None
    return user
