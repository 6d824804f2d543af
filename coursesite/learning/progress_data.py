"""A learner's attendance in the data download (see coursesite/accounts/personal_data.py).

Account deletion keeps the rows: they are the attendance evidence a CE sponsor must be able to show for the credits
of an attempt and a certificate that deletion also keeps, and they name the account by id only (its profile is
anonymised). They hold no notes, searches or free text.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from coursesite.accounts.models import User
from coursesite.accounts.personal_data import AccountDataPart, iso
from coursesite.catalog.models import Lecture, Module
from coursesite.extensions import db
from coursesite.learning.models import LectureProgress
from coursesite.models_base import as_utc


def _when(moment: datetime | None) -> str | None:
    return iso(as_utc(moment) if moment is not None else None)


def export_attendance(user: User) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(LectureProgress, Lecture.slug, Module.slug).join(Lecture, LectureProgress.lecture_id == Lecture.id)
        .join(Module, Lecture.module_id == Module.id)
        .where(LectureProgress.user_id == user.id).order_by(Module.slug, Lecture.position)
    ).all()
    return [
        {"module": module_slug, "lecture": lecture_slug, "played_intervals": row.intervals,
         "covered_seconds": row.covered_seconds, "last_position": row.last_position,
         "furthest_position": row.furthest_position, "seconds_on_task": row.seconds_on_task,
         "first_played_at": _when(row.first_played_at), "last_played_at": _when(row.last_played_at),
         "completed_at": _when(row.completed_at)}
        for row, lecture_slug, module_slug in rows
    ]


ATTENDANCE_DATA = AccountDataPart("attendance", export=export_attendance)
