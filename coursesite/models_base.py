"""Column and row helpers shared by every feature package's models."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

from sqlalchemy import CheckConstraint, CursorResult, DateTime, Result, Table, select, text
from sqlalchemy.orm import Mapped, mapped_column

from coursesite.extensions import Base, db

if TYPE_CHECKING:
    class Model(Base):
        """The base class of every model. Flask-SQLAlchemy builds ``db.Model`` from ``Base`` at run time, and mypy
        cannot use an attribute as a base class: this is the same class as mypy sees it."""

        __abstract__ = True
        __table__: ClassVar[Table]  # every model declares __tablename__, so its table is a Table
else:
    Model = db.Model


# The largest primary key the databases hold (PostgreSQL ``integer``). An id from a URL or a form beyond it is a 404
# like any unknown id, never a query SQLite cannot bind (it refuses ints beyond 64 bits with an OverflowError): use
# ``<int(max=MAX_ID):...>`` in routes and ``row_id`` for ids read from a form.
MAX_ID = 2**31 - 1


def row_id(value: str | None) -> int | None:
    """``value`` (from a form or a query string) as a row id, or None when it is not one that could exist."""
    if value is None or not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every datetime we store is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def one_of(column: str, values: Iterable[str]) -> CheckConstraint:
    """The CHECK constraint that keeps ``column`` to ``values`` (a model's closed list of kinds, roles or statuses),
    named after the column."""
    return CheckConstraint(f"{column} IN {tuple(values)!r}", name=column)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


def lock_row(model: type[Model], row_id: int) -> None:
    """Hold the row ``row_id`` of ``model`` locked until the transaction ends, so changes that must see each other
    (a user's entitlements, a licence's seats) run one at a time.

    PostgreSQL locks the row (``SELECT … FOR UPDATE``). SQLite has no row locks and ignores ``FOR UPDATE``: a no-op
    write (raw SQL, so no ``updated_at`` moves) takes its one write lock now, before anything is read, so a concurrent
    change is waited for and then seen.
    """
    table = model.__table__
    if db.session.get_bind().dialect.name == "sqlite":
        no_op_write = f"UPDATE {table.name} SET id = id WHERE id = :id"  # noqa: S608 - a model's own table name
        db.session.execute(text(no_op_write), {"id": row_id})
    else:
        db.session.execute(select(table.c.id).where(table.c.id == row_id).with_for_update())


def rows_matched(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE matched. ``Session.execute`` is typed to return a plain ``Result``; for those
    statements it is a ``CursorResult``, which carries the count."""
    return cast(CursorResult[Any], result).rowcount
