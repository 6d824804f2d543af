"""What organisations keep about a person, for the data download and account deletion (see accounts/personal_data.py).

Deletion removes pending invitations addressed to the person, revokes the seats they hold (so their organisation can
give them to someone else) and blanks the address and name on those seats. Organisations, memberships and licences
stay: they belong to the organisation, and a membership holds nothing but the (anonymised) account's id.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from coursesite.accounts.models import User
from coursesite.accounts.personal_data import AccountDataPart, iso
from coursesite.extensions import db
from coursesite.models_base import utcnow
from coursesite.organizations.models import Organization, OrganizationMember, Seat
from coursesite.organizations.services import WITH_LICENCE, take_back_seat


def _seats_about(user: User) -> list[Seat]:
    return list(db.session.scalars(
        select(Seat).where(or_(Seat.user_id == user.id, Seat.email == user.email)).order_by(Seat.id)
        .options(WITH_LICENCE)
    ))


def export_organizations(user: User) -> dict[str, Any]:
    memberships = db.session.execute(
        select(Organization, OrganizationMember).join(OrganizationMember)
        .where(OrganizationMember.user_id == user.id).order_by(Organization.id)
    ).all()
    return {
        "memberships": [
            {"organization": organization.name, "kind": organization.kind, "role": member.role,
             "since": iso(member.created_at)}
            for organization, member in memberships
        ],
        "seats": [
            {"organization": seat.licence.organization.name, "module": seat.licence.module.slug,
             "email": seat.email, "full_name": seat.full_name, "status": seat.status,
             "invited_at": iso(seat.invited_at), "accepted_at": iso(seat.accepted_at),
             "revoked_at": iso(seat.revoked_at), "licence_ends": iso(seat.licence.valid_until)}
            for seat in _seats_about(user)
        ],
    }


def erase_organizations(user: User) -> None:
    now = utcnow()
    for seat in _seats_about(user):
        if seat.status == "invited" and seat.user_id is None:
            db.session.delete(seat)
            continue
        if seat.status != "revoked":
            take_back_seat(seat, "account deleted", now)
        seat.email = f"deleted-seat-{seat.id}@deleted.invalid"
        seat.full_name = ""


ORGANIZATIONS_DATA = AccountDataPart("organizations", export=export_organizations, erase=erase_organizations)
