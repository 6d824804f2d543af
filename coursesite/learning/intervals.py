"""Spans of media time, pure and small: the arithmetic behind attendance (coursesite/learning/progress.py).

An interval is ``(start, end)`` in media seconds with ``start <= end``. A *union* is a sorted list of disjoint,
non-touching intervals of positive length. Every function here returns a new union and never mutates its input.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

Interval = tuple[float, float]


def clamp(interval: Sequence[float], duration: float) -> Interval | None:
    """``interval`` cut to ``[0, duration]``; None when nothing of positive length is left."""
    start, end = max(0.0, float(interval[0])), min(float(duration), float(interval[1]))
    return (start, end) if end > start else None


def merge(intervals: Iterable[Sequence[float]]) -> list[Interval]:
    """The union of ``intervals`` (any order, overlapping or not): sorted, disjoint, touching spans joined, empty
    ones dropped."""
    spans = sorted((float(start), float(end)) for start, end in intervals if end > start)
    union: list[Interval] = []
    for start, end in spans:
        if union and start <= union[-1][1]:
            if end > union[-1][1]:
                union[-1] = (union[-1][0], end)
        else:
            union.append((start, end))
    return union


def union_within(intervals: Iterable[Sequence[float]], duration: float) -> list[Interval]:
    """The union of ``intervals`` clamped to ``[0, duration]``."""
    return merge(span for span in (clamp(interval, duration) for interval in intervals) if span is not None)


def length(union: Iterable[Sequence[float]]) -> float:
    """The total length of a union (of disjoint intervals)."""
    return sum(float(end) - float(start) for start, end in union)


def truncate(union: Sequence[Interval], budget: float) -> list[Interval]:
    """The first ``budget`` seconds of ``union``, in media order: whole intervals while they fit, then the start of
    the next one."""
    kept: list[Interval] = []
    left = max(0.0, budget)
    for start, end in union:
        if left <= 0:
            break
        take = min(end - start, left)
        kept.append((start, start + take))
        left -= take
    return kept


def without_specks(before: Sequence[Interval], after: Sequence[Interval], shortest: float) -> list[Interval]:
    """``after`` (a union grown from the union ``before``) without its new isolated specks: intervals shorter than
    ``shortest`` that hold no part of ``before``. So every interval of a union grown this way from nothing is at
    least ``shortest`` long, and a union within ``[0, duration]`` has at most ``duration / shortest`` of them,
    however many reports of tiny scattered spans arrive."""
    return [(start, end) for start, end in after
            if end - start >= shortest or any(start <= old_start and old_end <= end for old_start, old_end in before)]
