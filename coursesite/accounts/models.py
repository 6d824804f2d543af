from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from coursesite.extensions import db
from coursesite.models_base import TimestampMixin

ROLES = ("learner", "editor", "moderator", "admin")


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased (see accounts.services.normalise_email), so unique means case-insensitively unique.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(120))
    profession: Mapped[str] = mapped_column(String(80), default="")
    licence_number: Mapped[str] = mapped_column(String(40), default="")
    licence_jurisdiction: Mapped[str] = mapped_column(String(80), default="")
    role: Mapped[str] = mapped_column(String(20), default="learner")
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_staff(self) -> bool:
        return self.role in ("editor", "moderator", "admin")

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"
