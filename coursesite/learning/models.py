"""The learner's own records, private to them.

``LectureProgress`` (user, lecture, watched intervals as a merged union, last and furthest position, seconds on task,
first/last played, completed_at; see coursesite/learning/progress.py) and ``Note`` (user, lecture, media second,
text; private to its author). ``create_app`` already imports this module with every package's models, so tables
defined here reach the metadata and Alembic without further wiring.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, DateTime, Float, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coursesite.models_base import Model, TimestampMixin


class LectureProgress(TimestampMixin, Model):
    """What one learner has played of one lecture: one row per learner and lecture, updated in place by each report
    (coursesite/learning/progress.py), so nothing grows with the number of reports.

    ``intervals`` is the merged union of the media spans actually played, ``[[start, end], ...]`` in seconds, sorted
    and disjoint, within ``[0, duration]``; ``covered_seconds`` is its total length. ``completed_at`` is set once,
    by the report that first brings coverage to the completion share, and never moved or cleared after.
    """

    __tablename__ = "lecture_progress"
    __table_args__ = (
        UniqueConstraint("user_id", "lecture_id"),
        CheckConstraint("covered_seconds >= 0", name="covered_seconds"),
        CheckConstraint("last_position >= 0", name="last_position"),
        CheckConstraint("furthest_position >= 0", name="furthest_position"),
        CheckConstraint("seconds_on_task >= 0", name="seconds_on_task"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    lecture_id: Mapped[int] = mapped_column(ForeignKey("lectures.id", ondelete="CASCADE"), index=True)
    intervals: Mapped[list[list[float]]] = mapped_column(JSON, default=list)
    covered_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    last_position: Mapped[float] = mapped_column(Float, default=0.0)
    furthest_position: Mapped[float] = mapped_column(Float, default=0.0)
    seconds_on_task: Mapped[float] = mapped_column(Float, default=0.0)
    first_played_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_played_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_report_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Optimistic concurrency: every UPDATE says "WHERE version = <the one read>" and bumps it, so two reports at once
    # (a beacon and a timer) never overwrite each other; the loser reads again and retries.
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative mapping options


class Note(TimestampMixin, Model):
    """A learner's private note on a lecture, at a second of its media (coursesite/learning/notes.py).

    Only its author ever sees it: no staff page, organisation dashboard or another user's export reads this table;
    the author's data download includes it and deleting the account deletes it (learning/personal_data.py).
    """

    __tablename__ = "notes"
    __table_args__ = (
        CheckConstraint("position >= 0", name="position"),
        Index("ix_notes_user_id_lecture_id", "user_id", "lecture_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    lecture_id: Mapped[int] = mapped_column(ForeignKey("lectures.id", ondelete="CASCADE"), index=True)
    position: Mapped[float] = mapped_column(Float)      # the media second the note is about
    text: Mapped[str] = mapped_column(Text)

    @property
    def seconds(self) -> str:
        """The position for a ``?t=`` link: seconds to a tenth, without a trailing ``.0``."""
        return f"{self.position:.1f}".removesuffix(".0")
