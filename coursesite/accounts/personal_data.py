"""A person's data across packages: the JSON download of everything, and account deletion.

The hook for other packages
---------------------------
Each package that keeps data about a person describes it once as an ``AccountDataPart`` and lists it in
``create_app``'s ``register_account_data`` (``app.extensions["account_data"]``), e.g. in billing::

    BILLING_DATA = AccountDataPart("billing", export=orders_as_dicts, erase=forget_billing_details)

- ``export(user)`` returns JSON-serialisable data; the download shows it under ``key``.
- ``erase(user)`` (optional) removes or anonymises what the package must not keep. It runs inside the deletion's
  transaction, before the profile is anonymised (so it can still read the user's email or name), and must not
  commit. Data a CE sponsor must retain is kept: certificates keep their name snapshot, attempts and evaluations
  stay without the profile. A part with nothing to erase leaves ``erase`` out.

Deletion keeps the ``users`` row, so every foreign key stays valid, and anonymises it: the email becomes a unique
address under the reserved ``.invalid`` domain, names and licence are cleared, the password can no longer match and
every session ends (its rows, which name a browser and an address, are removed). The audit log is append-only (the
database refuses UPDATE and DELETE), so its events about the person stay as they are: they name the account by id, and
keep the address the request came from (see docs/accounts.md, "Retention").
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app

from coursesite.accounts import sessions
from coursesite.accounts.audit import events_about, record
from coursesite.accounts.errors import AccountError
from coursesite.accounts.models import User
from coursesite.accounts.passwords import require_current_password
from coursesite.extensions import db
from coursesite.models_base import utcnow
from coursesite.permissions import is_staff

EXPORT_FORMAT = "coursesite-account-export/1"
# No argon2 hash looks like this, so verify_password can never succeed against it.
UNUSABLE_PASSWORD = "!deleted"  # noqa: S105 - the stored hash of no password, not a secret


@dataclass(frozen=True)
class AccountDataPart:
    key: str
    export: Callable[[User], Any]
    erase: Callable[[User], None] | None = None


def account_data_parts() -> list[AccountDataPart]:
    parts: list[AccountDataPart] = current_app.extensions["account_data"]
    return parts


def iso(moment: datetime | None) -> str | None:
    """A datetime for the JSON download (ISO 8601), or None."""
    return moment.isoformat() if moment else None


def export_profile(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "full_name": user.full_name,
        "profession": user.profession,
        "licence_number": user.licence_number,
        "licence_jurisdiction": user.licence_jurisdiction,
        "role": user.role,
        "created_at": iso(user.created_at),
        "confirmed_at": iso(user.confirmed_at),
        "pending_email": user.pending_email,
        "sessions": [
            {"created_at": iso(row.created_at), "last_seen_at": iso(row.last_seen_at),
             "expires_at": iso(row.expires_at), "user_agent": row.user_agent, "ip_address": row.ip_address}
            for row in sessions.live_sessions(user)
        ],
        "activity": [
            {"at": iso(event.at), "action": event.action, "target": event.target, "details": event.details,
             "ip_address": event.ip_address}
            for event in events_about(user)
        ],
    }


ACCOUNT_DATA = AccountDataPart("account", export=export_profile)


def export_account(user: User) -> dict[str, Any]:
    data: dict[str, Any] = {"format": EXPORT_FORMAT, "exported_at": iso(utcnow())}
    data.update((part.key, part.export(user)) for part in account_data_parts())
    return data


def delete_account(user: User, password: str) -> None:
    """Erase the person's data in every package, then anonymise the account, in one transaction."""
    require_current_password(user, password, "delete", "Your password is incorrect.")
    if is_staff(user):
        raise AccountError("Staff accounts cannot be deleted here. Ask an administrator to make yours a learner "
                           "account first.")
    erase_account(user)
    record(user, "account.deleted", user)
    db.session.commit()


def erase_account(user: User) -> None:
    """What deleting an account does, in the caller's transaction (no commit): every package erases its part, then
    the account is anonymised. Also the end of an account whose address was never confirmed (accounts.registration).
    """
    for part in account_data_parts():
        if part.erase is not None:
            part.erase(user)
    anonymise(user)


def anonymise(user: User) -> None:
    user.email = f"deleted-{user.id}-{secrets.token_hex(6)}@deleted.invalid"
    user.full_name = ""
    user.profession = ""
    user.licence_number = ""
    user.licence_jurisdiction = ""
    user.password_hash = UNUSABLE_PASSWORD
    user.confirmed_at = None
    user.pending_email = user.pending_email_nonce = None
    user.deleted_at = utcnow()
    sessions.forget_all(user)
