"""Column and row helpers shared by every feature package's models."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, select, text
from sqlalchemy.orm import Mapped, mapped_column

from coursesite.extensions import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every datetime we store is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


def lock_row(model, row_id: int) -> None:
    """Hold the row ``row_id`` of ``model`` locked until the transaction ends, so changes that must see each other
    (a user's entitlements, a licence's seats) run one at a time.

    PostgreSQL locks the row (``SELECT … FOR UPDATE``). SQLite has no row locks and ignores ``FOR UPDATE``: a no-op
    write (raw SQL, so no ``updated_at`` moves) takes its one write lock now, before anything is read, so a concurrent
    change is waited for and then seen.
    """
    table = model.__table__
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text(f"UPDATE {table.name} SET id = id WHERE id = :id"), {"id": row_id})
    else:
        db.session.execute(select(table.c.id).where(table.c.id == row_id).with_for_update())
