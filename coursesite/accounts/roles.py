"""Who holds which role: an admin changing someone's role, and the first admin of a new installation.

What each role may do is ``coursesite.permissions``'s business.
"""
from __future__ import annotations

from coursesite.accounts import passwords
from coursesite.accounts.addresses import account_email, user_by_email
from coursesite.accounts.audit import record
from coursesite.accounts.errors import AccountError
from coursesite.accounts.models import User
from coursesite.accounts.profile import Profile
from coursesite.extensions import db
from coursesite.models_base import utcnow
from coursesite.permissions import ROLES


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
    email = account_email(email)
    if user_by_email(email) is not None:
        raise AccountError(f"{email} already has an account: use `flask users set-role {email} admin`.")
    passwords.require_acceptable_password(password, email)
    user = User(email=email, password_hash=passwords.hash_password(password), role="admin", confirmed_at=utcnow())
    Profile(full_name=full_name, profession="").cleaned().apply_to(user)
    db.session.add(user)
    record(None, "account.admin_created", user)
    db.session.commit()
    return user
