"""Organisation rules: who may see and manage an organisation, seat licences, invitations, acceptance and revocation.

Functions that change data commit once at their end (the hook receivers in ``hooks.py`` are the exception: they run
inside billing's transaction). Mail goes out after the commit. Refusals raise ``SeatError`` (or ``ListRefused`` /
``TokenError``) with a message for the person at the keyboard. Audit details hold ids and counts, never addresses.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import selectinload

from coursesite import mail
from coursesite.accounts import tokens
from coursesite.accounts.audit import record
from coursesite.accounts.models import User
from coursesite.accounts.tokens import TokenError, TokenPurpose
from coursesite.billing.access import grant_seat_access, revoke_source
from coursesite.extensions import db
from coursesite.models_base import as_utc, lock_row, rows_matched, utcnow
from coursesite.organizations.lists import Invitee
from coursesite.organizations.models import (
    HELD_STATUSES,
    ORGANIZATION_NAME_MAX,
    Organization,
    OrganizationMember,
    Seat,
    SeatLicence,
)
from coursesite.permissions import Right, has_right
from coursesite.text import clean_text, is_printable

SEAT_INVITATION = TokenPurpose("coursesite.seat-invitation", timedelta(days=14), "14 days")


class SeatError(ValueError):
    """A seat action the rules refuse; ``str(error)`` says why."""


def new_nonce() -> str:
    return secrets.token_hex(16)


# Who may see what ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OrganizationAccess:
    organization: Organization
    role: str  # "admin", "instructor" or "staff" (a site admin looking in, read only)

    @property
    def can_manage(self) -> bool:
        return self.role == "admin"


def organization_for(user: User, organization_id: int) -> OrganizationAccess | None:
    """The organisation as ``user`` may see it; None (a 404) for everyone who is not its member or a site admin."""
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        return None
    role = db.session.scalar(select(OrganizationMember.role).where(
        OrganizationMember.organization_id == organization_id, OrganizationMember.user_id == user.id))
    if role is None and has_right(user, Right.MANAGE_ORGANIZATIONS):
        role = "staff"
    return OrganizationAccess(organization, role) if role else None


def has_organization_page(user_id: int) -> bool:
    """Does ``/organizations`` have something for this person: an organisation they run or follow (admin or
    instructor), or a seat they hold (accepted)? One query, for the account navigation."""
    return bool(db.session.scalar(select(or_(
        exists().where(OrganizationMember.user_id == user_id),
        exists().where(Seat.user_id == user_id, Seat.status == "active"),
    ))))


@dataclass(frozen=True)
class Membership:
    organization: Organization
    role: str


def memberships_of(user: User) -> list[Membership]:
    rows = db.session.execute(
        select(Organization, OrganizationMember.role).join(OrganizationMember)
        .where(OrganizationMember.user_id == user.id).order_by(Organization.name, Organization.id)
    ).all()
    return [Membership(organization, role) for organization, role in rows]


def all_organizations() -> list[Organization]:
    """For site admins, who may look at any organisation."""
    return list(db.session.scalars(select(Organization).order_by(Organization.name, Organization.id)))


# Loads each seat's licence with its module and organisation (two more queries, however many seats).
WITH_LICENCE = selectinload(Seat.licence).options(selectinload(SeatLicence.module),
                                                  selectinload(SeatLicence.organization))


def seats_of(user: User) -> list[Seat]:
    """The seats this person holds (accepted), newest licence first."""
    return list(db.session.scalars(
        select(Seat).join(Seat.licence).where(Seat.user_id == user.id, Seat.status == "active")
        .options(WITH_LICENCE).order_by(SeatLicence.valid_until.desc())
    ))


# The dashboard ------------------------------------------------------------------------------------------------------

@dataclass
class LicenceSummary:
    licence: SeatLicence
    seats: list[Seat] = field(default_factory=list)  # active, then invited, then revoked; by address within each

    @property
    def used(self) -> int:
        return len(held(self.seats))

    @property
    def free(self) -> int:
        return max(self.licence.seats - self.used, 0)

    @property
    def current(self) -> bool:
        return as_utc(self.licence.valid_until) > utcnow()

    @property
    def open(self) -> bool:
        """Can take invitations (the same rule as ``current_licences``)."""
        return self.current and self.licence.seats > 0


def held(seats: list[Seat]) -> list[Seat]:
    return [seat for seat in seats if seat.status in HELD_STATUSES]


def dashboard(organization: Organization) -> list[LicenceSummary]:
    """Every licence with its seats, in a fixed number of queries.

    The dashboard shows each seat's own dates (invited, accepted, revoked) and nothing about what its holder does
    elsewhere on the site: their security log (logins, password changes) is theirs, not their employer's. Once the
    learning package records lecture progress, the lectures completed on the licence's module belong here.
    """
    licences = list(db.session.scalars(
        select(SeatLicence).where(SeatLicence.organization_id == organization.id)
        .order_by(SeatLicence.valid_until.desc(), SeatLicence.id.desc())
        .options(selectinload(SeatLicence.module), selectinload(SeatLicence.seat_list).selectinload(Seat.user))
    ))
    order = {"active": 0, "invited": 1, "revoked": 2}
    return [LicenceSummary(licence, sorted(licence.seat_list, key=lambda seat: (order[seat.status], seat.email)))
            for licence in licences]


def current_licences(organization: Organization) -> list[SeatLicence]:
    """Licences that can still take invitations (not ended, with seats)."""
    return list(db.session.scalars(
        select(SeatLicence).where(SeatLicence.organization_id == organization.id, SeatLicence.seats > 0,
                                  SeatLicence.valid_until > utcnow())
        .options(selectinload(SeatLicence.module)).order_by(SeatLicence.valid_until.desc(), SeatLicence.id.desc())
    ))


def rename(organization: Organization, name: str, actor: User) -> None:
    """The name as stored (NFC, whitespace folded) is what the rules check, length included."""
    name = clean_text(name)
    if not name:
        raise SeatError("Enter the organisation's name.")
    if not is_printable(name):
        raise SeatError("Remove the invisible or control characters from the name.")
    if len(name) > ORGANIZATION_NAME_MAX:
        raise SeatError(f"Names can be at most {ORGANIZATION_NAME_MAX} characters long (in the standard Unicode "
                        f"form we store, this one has {len(name)}).")
    organization.name = name
    record(actor, "organizations.renamed", organization)
    db.session.commit()


# Licences -----------------------------------------------------------------------------------------------------------

def create_licence(organization: Organization, module_id: int, seats: int, valid_from: datetime, days: int, *,
                   source: str, order_id: int | None = None) -> SeatLicence:
    """Add a licence (flushed, no commit): from a paid order, or made by staff or the demo loader."""
    licence = SeatLicence(organization=organization, module_id=module_id, seats=seats,
                          valid_from=valid_from, valid_until=valid_from + timedelta(days=days),
                          order_id=order_id, source=source)
    db.session.add(licence)
    db.session.flush()
    return licence


def _locked_licence(licence_id: int) -> SeatLicence | None:
    """The licence, locked until the transaction ends, so two admins inviting at once cannot exceed its seats."""
    lock_row(SeatLicence, licence_id)
    return db.session.scalar(select(SeatLicence).where(SeatLicence.id == licence_id)
                             .execution_options(populate_existing=True))


def _used(licence_id: int) -> int:
    return db.session.execute(select(func.count(Seat.id)).where(Seat.licence_id == licence_id,
                                                                Seat.status.in_(HELD_STATUSES))).scalar_one()


# Invitations --------------------------------------------------------------------------------------------------------

@dataclass
class InviteOutcome:
    invited: list[Seat] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # duplicates and people already seated, not errors


def invite(organization: Organization, licence_id: int, invitees: list[Invitee], actor: User) -> InviteOutcome:
    """Invite everyone on the list to a seat, or no one: never more than the licence's free seats."""
    licence = _locked_licence(licence_id)
    if licence is None or licence.organization_id != organization.id:
        raise SeatError("Choose one of this organisation's licences.")
    if as_utc(licence.valid_until) <= utcnow():
        raise SeatError("This licence has ended; it cannot take new invitations.")
    existing = {seat.email: seat for seat in db.session.scalars(select(Seat).where(Seat.licence_id == licence.id))}
    outcome = InviteOutcome()
    first_line: dict[str, int] = {}
    new: list[Invitee] = []
    for invitee in invitees:
        if invitee.email in first_line:
            outcome.notes.append(f"line {invitee.line}: {invitee.email} is also on line {first_line[invitee.email]}; "
                                 "invited once")
            continue
        first_line[invitee.email] = invitee.line
        seat = existing.get(invitee.email)
        if seat is not None and seat.status in HELD_STATUSES:
            state = "has a seat already" if seat.status == "active" else "is already invited"
            outcome.notes.append(f"line {invitee.line}: {invitee.email} {state}")
            continue
        new.append(invitee)
    free = max(licence.seats - _used(licence.id), 0)
    if len(new) > free:
        raise SeatError(f"This licence has {free} free {'seat' if free == 1 else 'seats'}, but the list has "
                        f"{len(new)} new {'address' if len(new) == 1 else 'addresses'}. Nobody was invited: "
                        "shorten the list or revoke seats that are not used.")
    now = utcnow()
    for invitee in new:
        seat = existing.get(invitee.email)
        if seat is None:
            seat = Seat(licence=licence, email=invitee.email)
            db.session.add(seat)
        seat.full_name = invitee.full_name or (seat.full_name if seat.id else "")
        seat.status = "invited"
        seat.user_id = None
        seat.invitation_nonce = new_nonce()
        seat.invited_at = now
        seat.sent_at = now
        seat.accepted_at = None
        seat.revoked_at = None
        outcome.invited.append(seat)
    db.session.flush()
    for seat in outcome.invited:
        record(actor, "organizations.seat_invited", seat, organization=organization.id, licence=licence.id)
        _mail_invitation(seat, organization, licence, actor)
    db.session.commit()
    return outcome


def link_expires(seat: Seat) -> datetime | None:
    """When the latest invitation link of a pending seat stops working (None for a seat that is not pending)."""
    if seat.status != "invited" or seat.sent_at is None:
        return None
    return as_utc(seat.sent_at) + SEAT_INVITATION.max_age


def invitation_token(seat: Seat) -> str:
    return tokens.make_token(SEAT_INVITATION, {"seat": seat.id, "nonce": seat.invitation_nonce})


def _mail_invitation(seat: Seat, organization: Organization, licence: SeatLicence, actor: User) -> None:
    """Mail the invitation with the caller's transaction (no commit)."""
    mail.send(mail.recipient(seat.full_name, seat.email),
              f"{organization.name} invites you to {licence.module.title}", "seat_invitation",
              user=SimpleNamespace(full_name=seat.full_name or "there"), seat=seat, organization=organization,
              licence=licence, module=licence.module, inviter=actor,
              accept_url=mail.link("organizations.invitation", token=invitation_token(seat)),
              valid_for=SEAT_INVITATION.validity)


def seat_of(organization: Organization, seat_id: int) -> Seat | None:
    seat = db.session.get(Seat, seat_id)
    if seat is None or seat.licence.organization_id != organization.id:
        return None
    return seat


def resend(organization: Organization, seat: Seat, actor: User) -> None:
    """A fresh link for a pending invitation (the previous link stops working)."""
    if seat.status != "invited":
        raise SeatError("Only pending invitations can be sent again.")
    if as_utc(seat.licence.valid_until) <= utcnow():
        raise SeatError("This licence has ended.")
    seat.invitation_nonce = new_nonce()
    seat.sent_at = utcnow()
    record(actor, "organizations.seat_invitation_resent", seat, organization=organization.id,
           licence=seat.licence_id)
    _mail_invitation(seat, organization, seat.licence, actor)
    db.session.commit()


def take_back_seat(seat: Seat, reason: str, now: datetime) -> None:
    """Revoke a seat and the access it gave (no commit)."""
    seat.status = "revoked"
    seat.revoked_at = now
    seat.invitation_nonce = new_nonce()
    revoke_source("seat", seat.entitlement_ref, reason, now)


def revoke(organization: Organization, seat: Seat, actor: User) -> None:
    """Withdraw an invitation or end a member's seat; the seat is free for someone else."""
    if seat.status == "revoked":
        raise SeatError("This seat is already revoked.")
    previous = seat.status
    take_back_seat(seat, f"seat revoked by organisation {organization.id}", utcnow())
    record(actor, "organizations.seat_revoked", seat, organization=organization.id, licence=seat.licence_id,
           previous=previous)
    db.session.commit()


def _surplus_order(seat: Seat) -> tuple[int, float, int]:
    """Which seats a shrinking licence gives up first: pending invitations (newest invited first), then learners
    (newest accepted first), so people already learning keep their access as long as the seats allow."""
    if seat.status == "invited":
        return (0, -as_utc(seat.invited_at).timestamp(), -seat.id)
    return (1, -as_utc(seat.accepted_at or seat.invited_at).timestamp(), -seat.id)


def shrink_licence(licence: SeatLicence, seats: int, reason: str) -> int:
    """Lower the licence to ``seats`` and revoke the seats beyond it, pending invitations first (no commit); returns
    how many were revoked. The caller holds the licence's lock."""
    licence.seats = max(min(licence.seats, seats), 0)
    taken = sorted(held(list(db.session.scalars(select(Seat).where(Seat.licence_id == licence.id)
                                                .execution_options(populate_existing=True)))),
                   key=_surplus_order)
    surplus = taken[:max(len(taken) - licence.seats, 0)]
    now = utcnow()
    for seat in surplus:
        take_back_seat(seat, reason, now)
    return len(surplus)


# Accepting ----------------------------------------------------------------------------------------------------------

ACCEPT_LOST = "This invitation was withdrawn or has already been used."


def _pending(token: str) -> tuple[Seat, str]:
    """The seat a valid invitation link is for and the link's nonce, while the seat waits for it; TokenError
    otherwise."""
    payload = tokens.read_token(SEAT_INVITATION, token)
    seat_id, nonce = payload.get("seat"), payload.get("nonce")
    seat = db.session.get(Seat, seat_id) if isinstance(seat_id, int) else None
    if seat is None or not isinstance(nonce, str) or seat.status != "invited" or seat.invitation_nonce != nonce:
        if seat is not None and seat.status == "active" and seat.invitation_nonce == nonce:
            raise TokenError("This invitation has already been accepted.")
        raise TokenError("This invitation has been withdrawn or replaced by a newer one. Ask the organisation "
                         "that invited you to send it again.")
    if as_utc(seat.licence.valid_until) <= utcnow():
        raise TokenError("The licence this invitation was for has ended.")
    return seat, nonce


def seat_for_token(token: str) -> Seat:
    """The pending seat a valid invitation link is for, to show the offer; TokenError otherwise. What it read may be
    out of date a moment later: ``accept`` decides again when it writes."""
    return _pending(token)[0]


def address_problem(seat: Seat, user: User) -> str:
    """Why ``user`` cannot take ``seat`` (the invitation was sent to another address), or "" when they can."""
    if user.email == seat.email:
        return ""
    return (f"This invitation was sent to a different email address than the one you are logged in with "
            f"({user.email}). Log out, then log in or create an account with the address the invitation was sent "
            "to, and follow the link again.")


def accept(token: str, user: User) -> Seat:
    """Take the seat: the logged-in address must be the invited one. Access lasts until the licence ends.

    The seat turns ``active`` in one conditional UPDATE (still ``invited``, still this link's nonce), decided by the
    database at write time: a revocation, a refund or another acceptance that got there first makes it change no
    row, and then nothing is granted. So a seat is accepted, and gives access, at most once.
    """
    seat, nonce = _pending(token)
    problem = address_problem(seat, user)
    if problem:
        raise SeatError(problem)
    now = utcnow()
    won = rows_matched(db.session.execute(
        update(Seat).where(Seat.id == seat.id, Seat.status == "invited", Seat.invitation_nonce == nonce)
        .values(status="active", user_id=user.id, accepted_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )) == 1
    if not won:
        db.session.rollback()
        raise SeatError(ACCEPT_LOST)
    db.session.refresh(seat)
    seat_entitlement(seat, now)
    record(user, "organizations.seat_accepted", seat, organization=seat.licence.organization_id,
           licence=seat.licence_id)
    db.session.commit()
    return seat


def seat_entitlement(seat: Seat, now: datetime) -> None:
    """The access a seat gives from ``now`` until its licence ends (no commit; for the demo loader). Billing writes it,
    under the holder's lock (``billing.access.grant_seat_access``). Only an accepted seat has a member to give it to."""
    if seat.user_id is None:
        raise ValueError(f"Seat {seat.id} has not been accepted: it gives no access yet.")
    grant_seat_access(seat.user_id, seat.licence.module_id, until=seat.licence.valid_until,
                      source_ref=seat.entitlement_ref, now=now)
