"""Access granted and taken back by staff (the staff package's ``/staff/access`` page and ``flask billing
grant|revoke``), always audited: the rule lives here, with the entitlements it changes.

Audit details name the module and the numbers, never the learner's name or email (the target is ``users:<id>``).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coursesite.accounts.addresses import user_by_email
from coursesite.accounts.audit import record
from coursesite.accounts.models import User
from coursesite.billing.access import grant_entitlement, lock_holder, revoke_entitlement
from coursesite.billing.models import Entitlement
from coursesite.catalog.models import Module
from coursesite.extensions import db
from coursesite.models_base import utcnow


class StaffActionRefused(Exception):
    pass


def _learner_and_module(email: str, module_slug: str) -> tuple[User, Module]:
    user = user_by_email(email)
    if user is None:
        raise StaffActionRefused(f"No account uses the email {email}.")
    module = db.session.scalar(select(Module).where(Module.slug == module_slug))
    if module is None:
        raise StaffActionRefused(f"There is no module {module_slug!r}.")
    return user, module


def grant_access(email: str, module_slug: str, days: int, actor: User | None) -> Entitlement:
    """Give ``days`` of access (extending any current access), recorded as a staff grant."""
    if not 1 <= days <= 3650:
        raise StaffActionRefused("Grant between 1 and 3650 days.")
    user, module = _learner_and_module(email, module_slug)
    entitlement = grant_entitlement(user.id, module.id, kind="access", days=days, source="grant",
                                    source_ref=f"staff:{actor.id}" if actor else "staff:cli")
    record(actor, "billing.access_granted", user, module=module.slug, days=days,
           valid_until=entitlement.valid_until.isoformat())
    db.session.commit()
    return entitlement


@dataclass(frozen=True)
class Revocation:
    """What a staff revocation did: access periods revoked, and seats left to their organisation's admins."""

    revoked: int
    seats_kept: int
    email: str
    module_slug: str

    @property
    def message(self) -> str:
        """A sentence for the page or the terminal."""
        message = f"Revoked {self.revoked} access period(s) of {self.email} to {self.module_slug}."
        if self.seats_kept:
            message += (f" {self.seats_kept} seat(s) via organisations are managed by the organisation's admins "
                        "and were not revoked.")
        return message


def revoke_access(email: str, module_slug: str, actor: User | None, reason: str = "") -> Revocation:
    """Take back every current access entitlement of the learner to the module that staff own: purchases and grants.

    Seat access (``source="seat"``) is left alone: it belongs to an organisation's seat, which its admins revoke (on
    the organisation's page, which frees the seat too); revoking only the entitlement would leave the seat occupied
    without access. The seats left are counted in the result and the audit details.
    """
    user, module = _learner_and_module(email, module_slug)
    lock_holder(user.id)  # as fulfilment does: a purchase paid meanwhile waits, then chains from what is left
    current = list(db.session.scalars(select(Entitlement).where(
        Entitlement.user_id == user.id, Entitlement.module_id == module.id, Entitlement.kind == "access",
        Entitlement.revoked_at.is_(None), Entitlement.valid_until > utcnow(),
    ).order_by(Entitlement.valid_from, Entitlement.id)))
    entitlements = [entitlement for entitlement in current if entitlement.source != "seat"]
    seats_kept = len(current) - len(entitlements)
    by_whom = f"staff user {actor.id}" if actor else "staff (command line)"
    for entitlement in entitlements:
        revoke_entitlement(entitlement, f"revoked by {by_whom}" + (f": {reason}" if reason else ""))
    record(actor, "billing.access_revoked", user, module=module.slug, periods=len(entitlements),
           seats_kept=seats_kept, reason=reason)
    db.session.commit()
    return Revocation(len(entitlements), seats_kept, email, module.slug)


def entitlements_of(user_id: int) -> list[Entitlement]:
    """Every entitlement of the user, revoked and ended ones too, latest start first, with its module: for staff."""
    return list(db.session.scalars(
        select(Entitlement).where(Entitlement.user_id == user_id).order_by(Entitlement.valid_from.desc())
        .options(selectinload(Entitlement.module))
    ))
