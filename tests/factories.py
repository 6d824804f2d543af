"""Rows for tests, made directly in the database (inside the ``app`` fixture's app context) and committed.

Each factory builds the smallest valid row and takes keyword arguments for what a test cares about. They go through
the services where a service owns the rule (entitlements, licences), so a test never builds a state the site cannot.
"""
from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import select

from coursesite.accounts.models import User
from coursesite.accounts.passwords import hash_password
from coursesite.billing.access import grant_entitlement
from coursesite.billing.models import Entitlement
from coursesite.catalog.models import Module
from coursesite.extensions import db
from coursesite.models_base import utcnow
from coursesite.organizations.models import Organization, OrganizationMember, SeatLicence
from coursesite.organizations.services import create_licence

PASSWORD = "lantern orchard violet 42"
ZOE = "Zoë Łukasiewicz-Ōtsuka"
SAMPLE_MODULE = "sample-module"


@cache
def password_hash() -> str:
    """One hash for every test user: hashing is deliberately slow, and a salt shared in tests harms nobody."""
    return hash_password(PASSWORD)


def make_user(email: str = "learner@example.org", *, role: str = "learner", confirmed: bool = True,
              full_name: str = ZOE, **fields) -> User:
    """A user who can log in with ``PASSWORD``; ``confirmed=False`` leaves the address unconfirmed."""
    user = User(email=email, password_hash=password_hash(), full_name=full_name, profession="Psychologist",
                role=role, confirmed_at=utcnow() if confirmed else None, **fields)
    db.session.add(user)
    db.session.commit()
    return user


def module_id(slug: str = SAMPLE_MODULE) -> int:
    """The id of an imported module (the ``sample_module`` fixture imports the fixture module)."""
    return db.session.scalar(select(Module.id).where(Module.slug == slug))


def make_module(slug: str, title: str = "Another module", *, published: bool = True, ce_hours: float = 1.0,
                **fields) -> Module:
    """A module made in the database rather than imported from files; add lectures to it before committing more."""
    module = Module(slug=slug, title=title, published=published, ce_hours=ce_hours, **fields)
    db.session.add(module)
    db.session.commit()
    return module


def grant_access(user: User, module: int | Module | None = None, *, days: int = 365, source: str = "grant",
                 now: datetime | None = None) -> Entitlement | None:
    """Access to ``module`` (default: the sample module) for ``days``, as a staff grant unless ``source`` says."""
    target = module.id if isinstance(module, Module) else module or module_id()
    entitlement = grant_entitlement(user.id, target, kind="access", days=days, source=source, now=now)
    db.session.commit()
    return entitlement




def make_organisation(admin: User, name: str = "Northfield Counselling Centre", kind: str = "institution",
                      ) -> Organization:
    """An organisation whose admin is ``admin``."""
    organization = Organization(name=name, kind=kind)
    db.session.add(organization)
    db.session.flush()
    add_member(organization, admin, "admin")
    return organization


def add_member(organization: Organization, user: User, role: str = "instructor") -> OrganizationMember:
    member = OrganizationMember(organization_id=organization.id, user_id=user.id, role=role)
    db.session.add(member)
    db.session.commit()
    return member


def make_licence(organization: Organization, seats: int = 4, *, days: int = 365, slug: str = SAMPLE_MODULE,
                 source: str = "staff") -> SeatLicence:
    """A licence of ``seats`` seats from now on, as staff would create one (no order behind it)."""
    licence = create_licence(organization, module_id(slug), seats, utcnow(), days, source=source)
    db.session.commit()
    return licence

