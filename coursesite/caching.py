"""Cached fragments of public pages, keyed by the content revision.

Any change to a row of a :class:`CachedContent` model bumps the revision in the same transaction (a ``before_flush``
hook), so a cached fragment can never outlive the content it shows; old entries simply stop being asked for and
expire. One indexed single-row read per request fetches the revision, which keeps several worker processes in step
without any cross-process signalling.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from flask import has_request_context, request
from sqlalchemy import Integer, event, update
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column

from coursesite.extensions import cache, db
from coursesite.models_base import Model, rows_matched

REVISION_KEY = "coursesite.content_revision"
logger = logging.getLogger(__name__)


class CachedContent:
    """Marks a model whose rows appear on cached public pages: changing one bumps the content revision."""


class ContentRevision(Model):
    """One row whose number goes up whenever catalogue content changes."""

    __tablename__ = "content_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, default=0)


def content_revision() -> int:
    """Read on every cached page view, so it skips the ORM: one indexed lookup on the session's connection."""
    query = "SELECT number FROM content_revision WHERE id = 1"
    number: int | None = db.session.connection().exec_driver_sql(query).scalar()
    return number or 0


def bump_content_revision(session: Session | None = None) -> None:
    """Mark content as changed. As the first write of a transaction it also serialises concurrent imports: the row
    lock (PostgreSQL) or the write lock (SQLite) is held until commit."""
    writer = session or db.session
    revision = ContentRevision.__table__
    updated = writer.execute(update(revision).where(revision.c.id == 1).values(number=revision.c.number + 1))
    if rows_matched(updated) == 0:
        writer.add(ContentRevision(id=1, number=1))


def _bump_on_content_change(session: Session, _flush_context: UOWTransaction, _instances: object) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(instance, CachedContent) for instance in changed):
        bump_content_revision(session)


def register_invalidation() -> None:
    if not event.contains(Session, "before_flush", _bump_on_content_change):
        event.listen(Session, "before_flush", _bump_on_content_change)


def request_revision() -> int:
    """The revision, read once per request (a page may hold several cached fragments)."""
    if not has_request_context():
        return content_revision()
    if REVISION_KEY not in request.environ:
        request.environ[REVISION_KEY] = content_revision()
    revision: int = request.environ[REVISION_KEY]
    return revision


Value = TypeVar("Value")


def cached(name: str, compute: Callable[[], Value]) -> Value:
    """``compute()`` once per content revision; a None result (say, an unknown slug) is not stored.

    When the cache's server (Redis) does not answer, the page is computed without it: slower, never an error. The
    process then leaves the cache alone for :data:`CACHE_RETRY_SECONDS` rather than waiting on it at every call.
    """
    key = f"content:{request_revision()}:{name}"
    value: Value | None = cache_call(cache.get, key)  # what compute() gave at this revision, or None
    if value is None:
        value = compute()
        if value is not None:
            cache_call(cache.set, key, value)
    return value


CACHE_RETRY_SECONDS = 10.0
_cache_down_until = 0.0


def cache_call(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``method(*args, **kwargs)`` on the cache (``cache.get``, ``cache.set``...), or None while the cache's server
    (Redis) is down: the caller computes without it, never an error. After a failure the process leaves the cache
    alone for :data:`CACHE_RETRY_SECONDS` rather than waiting on it at every call. The one home of that fallback
    (page fragments here, certificate PDFs in certificates/pdf.py)."""
    global _cache_down_until  # one switch per process, like the connection pool it stands for
    if time.monotonic() < _cache_down_until:
        return None
    try:
        return method(*args, **kwargs)
    except redis.RedisError:
        _cache_down_until = time.monotonic() + CACHE_RETRY_SECONDS
        logger.warning("the cache does not answer; working without it for %.0f s", CACHE_RETRY_SECONDS,
                       exc_info=True)
        return None
