"""Who attended a module in a period, for the sponsor's records (coursesite/certificates/records.py): the learners
who played any of its lectures then. What each completed comes from ``progress.completions_for_users``."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from coursesite.catalog.models import Lecture
from coursesite.extensions import db
from coursesite.learning.models import LectureProgress


def attendees(module_id: int, start: datetime | None = None, end: datetime | None = None) -> list[int]:
    """Ids of the learners who played a lecture of the module between ``start`` and ``end`` (their first play
    before ``end`` and their last after ``start``; None leaves that side open), in id order."""
    query = (select(LectureProgress.user_id).join(Lecture, Lecture.id == LectureProgress.lecture_id)
             .where(Lecture.module_id == module_id, LectureProgress.first_played_at.is_not(None)).distinct())
    if start is not None:
        query = query.where(LectureProgress.last_played_at >= start)
    if end is not None:
        query = query.where(LectureProgress.first_played_at < end)
    return sorted(db.session.scalars(query))
