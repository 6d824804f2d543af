"""The one access policy: every gated page, media file, test and forum asks these functions.

Purchases, seats and staff grants all become :class:`Entitlement` rows; staff with the ``view_all_modules`` right
(editors and admins) may see every module so they can check the catalogue they run.
"""
from __future__ import annotations

from bisect import insort
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Literal, overload

from flask import g, has_request_context
from sqlalchemy import ColumnElement, Select, bindparam, select

from coursesite.accounts.models import User
from coursesite.billing.models import Entitlement
from coursesite.catalog.models import Lecture
from coursesite.extensions import db
from coursesite.models_base import as_utc, lock_row, utcnow
from coursesite.permissions import Right, Viewer, has_right, signed_in


def _unrevoked(user_id: int, module_id: int | None = None, kind: str | None = None,
               ending_after: datetime | None = None) -> list[ColumnElement[bool]]:
    """The criteria every entitlement query here shares: the user's unrevoked windows, narrowed to one module, one
    kind and those that have not ended by ``ending_after`` when given."""
    criteria = [Entitlement.user_id == user_id, Entitlement.revoked_at.is_(None)]
    if module_id is not None:
        criteria.append(Entitlement.module_id == module_id)
    if kind is not None:
        criteria.append(Entitlement.kind == kind)
    if ending_after is not None:
        criteria.append(Entitlement.valid_until > ending_after)
    return criteria


_EARLIEST_FIRST = (Entitlement.valid_from, Entitlement.id)


@cache
def _any_active() -> Select[int]:
    """Is there an active window (``:user_id``, ``:module_id``, ``:kind``, ``:at``)? Asked on every gated request, so
    the statement is built once and reads one id, not the whole row."""
    at = bindparam("at", type_=Entitlement.valid_from.type)
    return (select(Entitlement.id)  # the criteria of _unrevoked, with ending_after=at
            .where(Entitlement.user_id == bindparam("user_id"), Entitlement.revoked_at.is_(None),
                   Entitlement.module_id == bindparam("module_id"), Entitlement.kind == bindparam("kind"),
                   Entitlement.valid_until > at, Entitlement.valid_from <= at)
            .limit(1))


def has_entitlement(user: Viewer | None, module_id: int, kind: str = "access", at: datetime | None = None) -> bool:
    if not signed_in(user):
        return False
    if has_right(user, Right.VIEW_ALL_MODULES):
        return True
    found = db.session.scalar(_any_active(),
                              {"user_id": user.id, "module_id": module_id, "kind": kind, "at": at or utcnow()})
    return found is not None


def has_access(user: Viewer | None, module_id: int, at: datetime | None = None) -> bool:
    """May ``user`` use module ``module_id`` (lectures, media, guides, forum) at ``at`` (default: now)?"""
    return has_entitlement(user, module_id, "access", at)


def can_watch(user: Viewer | None, lecture: Lecture) -> bool:
    """Free preview lectures are open to everyone; the rest need access to their module."""
    return lecture.preview or has_access(user, lecture.module_id)


def _windows(user_id: int, module_id: int, kind: str, after: datetime) -> list[Entitlement]:
    """The user's unrevoked windows of ``kind`` that have not ended by ``after``, earliest start first."""
    return list(db.session.scalars(
        select(Entitlement).where(*_unrevoked(user_id, module_id, kind, ending_after=after)).order_by(*_EARLIEST_FIRST)
    ))


def _coverage_end(spans: list[tuple[datetime, datetime]], at: datetime) -> datetime:
    """Where the coverage that holds at ``at`` ends, following spans (sorted by start) that start no later than the
    previous one ends; ``at`` itself when nothing covers it."""
    cursor = at
    for start, end in spans:
        if start > cursor:
            break
        cursor = max(cursor, end)
    return cursor


def _span(window: Entitlement) -> tuple[datetime, datetime]:
    return as_utc(window.valid_from), as_utc(window.valid_until)


def access_ends(user_id: int, module_id: int, kind: str = "access", at: datetime | None = None) -> datetime | None:
    """The end of the coverage of ``kind`` that holds at ``at`` (default: now), renewals queued after it included.

    None when nothing covers ``at``: a renewal then starts at once, never after a window that has ended, was revoked
    or lies beyond a gap.
    """
    at = as_utc(at or utcnow())
    return _covered_until([_span(window) for window in _windows(user_id, module_id, kind, at)], at)


def _covered_until(spans: list[tuple[datetime, datetime]], at: datetime) -> datetime | None:
    """Where the coverage holding at ``at`` ends (see :func:`_coverage_end`), or None when nothing covers ``at``."""
    end = _coverage_end(spans, at)
    return end if end > at else None


@dataclass(frozen=True)
class ModuleHolding:
    """What a person holds of one module now, for the module page."""

    access_until: datetime | None  # the end of the access covering now, renewals queued after it included
    certificate: bool
    opens_every_module: bool = False  # staff with ``view_all_modules``: every module opens, nothing is held


def module_holding(user: User, module_id: int, at: datetime | None = None) -> ModuleHolding:
    """What ``user`` (logged in) holds of module ``module_id`` at ``at`` (default: now): one query, none for staff
    who may open every module. Asked for now, the answer is kept for the rest of the request, so the module page's
    viewer parts (billing's status and pricing, learning's progress and links) share the one query."""
    if at is not None or not has_request_context():
        return _module_holding(user, module_id, at)
    kept: dict[tuple[int, int], ModuleHolding] = g.setdefault("module_holdings", {})
    if (user.id, module_id) not in kept:
        kept[user.id, module_id] = _module_holding(user, module_id, None)
    return kept[user.id, module_id]


def _module_holding(user: User, module_id: int, at: datetime | None) -> ModuleHolding:
    if has_right(user, Right.VIEW_ALL_MODULES):
        return ModuleHolding(access_until=None, certificate=False, opens_every_module=True)
    at = as_utc(at or utcnow())
    spans: dict[str, list[tuple[datetime, datetime]]] = {"access": [], "certificate": []}
    rows = db.session.execute(
        select(Entitlement.kind, Entitlement.valid_from, Entitlement.valid_until)
        .where(*_unrevoked(user.id, module_id, ending_after=at)).order_by(*_EARLIEST_FIRST)
    )
    for kind, valid_from, valid_until in rows:
        spans.setdefault(kind, []).append((as_utc(valid_from), as_utc(valid_until)))
    return ModuleHolding(access_until=_covered_until(spans["access"], at),
                         certificate=_covered_until(spans["certificate"], at) is not None)


@dataclass(frozen=True)
class AccessWindow:
    """An unrevoked entitlement as plain data, for packages that show a learner what they hold ("My learning")."""

    module_id: int
    kind: str  # access | certificate
    valid_from: datetime
    valid_until: datetime
    source: str  # order | seat | grant


def access_windows(user_id: int) -> list[AccessWindow]:
    """Every unrevoked window of the user, ended ones included, in one query (earliest start first)."""
    rows = db.session.execute(
        select(Entitlement.module_id, Entitlement.kind, Entitlement.valid_from, Entitlement.valid_until,
               Entitlement.source)
        .where(*_unrevoked(user_id)).order_by(*_EARLIEST_FIRST)
    )
    return [AccessWindow(module_id, kind, as_utc(valid_from), as_utc(valid_until), source)
            for module_id, kind, valid_from, valid_until, source in rows]


def lock_holder(user_id: int) -> None:
    """Take the user's lock until the transaction ends, so their entitlement changes (purchases, refunds, staff grants
    and revocations) run one at a time and chain correctly."""
    lock_row(User, user_id)


@overload
def grant_entitlement(user_id: int, module_id: int, *, kind: str, days: int, source: str, source_ref: str = "",
                      now: datetime | None = None, unless_held: Literal[False] = False) -> Entitlement: ...


@overload
def grant_entitlement(user_id: int, module_id: int, *, kind: str, days: int, source: str, source_ref: str = "",
                      now: datetime | None = None, unless_held: bool) -> Entitlement | None: ...


def grant_entitlement(user_id: int, module_id: int, *, kind: str, days: int, source: str, source_ref: str = "",
                      now: datetime | None = None, unless_held: bool = False) -> Entitlement | None:
    """Add ``days`` of ``kind`` for the user, starting now or, when covered now, where that coverage ends.

    With ``unless_held`` nothing is added (None is returned) when the user already holds ``kind`` now: a certificate
    is bought once, never extended. Takes the holder's lock (:func:`lock_holder`) first, so every caller, fulfilment
    or staff, sees the others' changes and chains after them.
    """
    lock_holder(user_id)
    now = as_utc(now or utcnow())  # read after waiting for the lock: a window granted meanwhile has started by now
    current_end = access_ends(user_id, module_id, kind, at=now)
    if unless_held and current_end is not None:
        return None
    start = current_end if current_end and current_end > now else now
    return _add_window(user_id, module_id, kind, start, start + timedelta(days=days), source, source_ref)


def grant_seat_access(user_id: int, module_id: int, *, until: datetime, source_ref: str,
                      now: datetime | None = None) -> Entitlement:
    """The access an organisation's seat gives: from now until ``until`` (the licence's end), ``source="seat"``.

    Never chained after other coverage, and never moved when other windows are revoked: its end is the licence's.
    Takes the holder's lock first, like :func:`grant_entitlement`, so it serialises with purchases, refunds and staff
    actions. No commit.
    """
    lock_holder(user_id)
    return _add_window(user_id, module_id, "access", as_utc(now or utcnow()), as_utc(until), "seat", source_ref)


def _add_window(user_id: int, module_id: int, kind: str, start: datetime, until: datetime, source: str,
                source_ref: str) -> Entitlement:
    entitlement = Entitlement(user_id=user_id, module_id=module_id, kind=kind, valid_from=start, valid_until=until,
                              source=source, source_ref=source_ref)
    db.session.add(entitlement)
    db.session.flush()
    return entitlement


def revoke_entitlement(entitlement: Entitlement, reason: str, now: datetime | None = None) -> None:
    """Revoke a window, and close the gap it leaves: the windows chained after it move earlier.

    The chain is followed, not guessed (see :func:`_close_gap`): a detached window (one starting after the chain has
    ended) and seat windows never move. Runs in the caller's transaction, under the holder's lock.
    """
    if entitlement.revoked_at is not None:
        return
    lock_holder(entitlement.user_id)
    now = as_utc(now or utcnow())
    entitlement.revoked_at = now
    entitlement.revoked_reason = reason[:200]
    db.session.flush()
    _close_gap(entitlement, now)


def revoke_source(source: str, source_ref: str, reason: str, now: datetime | None = None) -> int:
    """Revoke every live window that ``source`` granted under ``source_ref`` (an order line's or a seat's
    ``entitlement_ref``), each through :func:`revoke_entitlement` so the gaps close; returns how many. No commit."""
    granted = list(db.session.scalars(select(Entitlement).where(
        Entitlement.source == source, Entitlement.source_ref == source_ref, Entitlement.revoked_at.is_(None),
    ).order_by(Entitlement.id)))
    for entitlement in granted:
        revoke_entitlement(entitlement, reason, now)
    return len(granted)


# Two windows whose end and start differ by less than this are chained (they are written equal; the slack absorbs
# rounding by a database).
CHAIN_TOLERANCE = timedelta(seconds=1)


def _close_gap(revoked: Entitlement, now: datetime) -> None:
    """Move the windows chained after ``revoked`` earlier by the time it no longer covers.

    The chain: starting from the revoked window's end, each later unrevoked non-seat window of the same user, module
    and kind that starts between the revoked window's start and the chain's end so far (within
    :data:`CHAIN_TOLERANCE`) belongs to it, and extends the chain to its own original end; the first window starting
    beyond the chain's end ends it. That includes a window that overlaps the revoked one (it starts inside it): the
    days the revoked window hid are not lost, it moves to the front with the rest of the chain.

    Each chain member moves back by the freed time (the revoked window's uncovered rest, from ``now`` or from its
    start if it had not started), but never before ``now``, never into coverage that remains (another window still
    covering that moment, say a seat or an earlier purchase, pushes it to that coverage's end), and never later than
    it was. It keeps its length. Seat windows never move (their end is the licence's) and do not continue a chain.

    A moved window may start before the order that paid for it was paid only when ``now`` is earlier than that
    payment, which production never does (revocations use the time they run, after the payment has committed).
    """
    revoked_from, chain_end = _span(revoked)
    freed = chain_end - max(revoked_from, now)
    if freed <= timedelta(0):
        return  # it had ended: nothing after it can move earlier without starting in the past
    chain: list[Entitlement] = []
    covered: list[tuple[datetime, datetime]] = []  # where every other window covers, sorted by start
    for window in _windows(revoked.user_id, revoked.module_id, revoked.kind, now):
        start, end = _span(window)
        if chain_end + CHAIN_TOLERANCE >= start >= revoked_from and window.source != "seat":
            chain.append(window)
            chain_end = max(chain_end, end)
        else:  # earlier coverage, a seat (never continues the chain), or beyond the chain: stays where it is
            covered.append((start, end))
    for window in chain:  # earliest first; each joins the coverage once placed, so the next queues after it
        start, end = _span(window)
        new_start = min(_coverage_end(covered, max(start - freed, now)), start)
        if new_start < start:
            window.valid_from, window.valid_until = new_start, new_start + (end - start)
        insort(covered, (new_start, new_start + (end - start)))
