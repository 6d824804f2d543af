"""Demo accounts for a local installation, created by ``flask demo load`` and listed in the README.

Their passwords are public, so the command refuses to run in production.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from coursesite.accounts import passwords
from coursesite.accounts.models import User
from coursesite.accounts.services import Profile, user_by_email, validated_email
from coursesite.billing.access import access_ends, grant_entitlement
from coursesite.catalog.models import Module
from coursesite.extensions import db
from coursesite.models_base import utcnow

ACCESS_DAYS = 365


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    role: str
    profile: Profile
    access_to_every_module: bool = False


DEMO_ACCOUNTS = (
    DemoAccount("learner@demo.example.org", "learner-demo-passphrase", "learner",
                Profile("Zoë Łukasiewicz-Ōtsuka", "Clinical psychologist", "PSY 042917", "California"),
                access_to_every_module=True),
    DemoAccount("editor@demo.example.org", "editor-demo-passphrase", "editor",
                Profile("Idris Abernethy", "Programme editor")),
    DemoAccount("admin@demo.example.org", "admin-demo-passphrase", "admin",
                Profile("Wen Okonkwo-Hale", "Site administrator")),
)


def load_demo_accounts() -> list[str]:
    """Create the demo accounts that are missing and give the learner a year's access and the certificate add-on
    for every published module; running it again changes nothing. Returns what it did, one line per change."""
    done = []
    for account in DEMO_ACCOUNTS:
        user = user_by_email(account.email)
        if user is None:
            user = _create(account)
            done.append(f"created {account.role} {account.email}")
        if account.access_to_every_module:
            done += _give_access(user)
    db.session.commit()
    return done


def _create(account: DemoAccount) -> User:
    user = User(email=validated_email(account.email), password_hash=passwords.hash_password(account.password),
                role=account.role, confirmed_at=utcnow())
    account.profile.cleaned().apply_to(user)
    db.session.add(user)
    db.session.flush()
    return user


def _give_access(user: User) -> list[str]:
    done = []
    for module in db.session.scalars(select(Module).where(Module.published.is_(True)).order_by(Module.title)):
        for kind in ("access", "certificate"):
            if access_ends(user.id, module.id, kind) is None:
                grant_entitlement(user.id, module.id, kind=kind, days=ACCESS_DAYS, source="grant",
                                  source_ref="demo")
                done.append(f"granted {kind} to {module.slug} for {user.email}")
    return done
