"""What a certificate prints about a person: their name, profession and licence, checked as they will be stored."""
from __future__ import annotations

from dataclasses import dataclass

from coursesite.accounts.audit import record
from coursesite.accounts.errors import AccountError
from coursesite.accounts.models import (
    FULL_NAME_MAX,
    LICENCE_JURISDICTION_MAX,
    LICENCE_NUMBER_MAX,
    PROFESSION_MAX,
    User,
)
from coursesite.extensions import db
from coursesite.text import clean_text


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


def update_profile(user: User, profile: Profile) -> None:
    profile.cleaned().apply_to(user)
    record(user, "account.profile_updated", user)
    db.session.commit()
