"""Account rules: finding users, loading them for Flask-Login."""
from __future__ import annotations

from sqlalchemy import select

from coursesite.accounts.models import User
from coursesite.extensions import db, login_manager


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None
