from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coursesite.catalog.models import Module, ModulePart
from coursesite.models_base import Model, TimestampMixin, one_of, utcnow

# When a learner sees the correct answers and explanations of a graded attempt.
SHOW_ANSWERS = {
    "after_pass": "after passing",
    "after_last_attempt": "after passing or after the last attempt allowed",
    "never": "never",
}
ATTEMPT_STATUSES = ("in_progress", "graded")


class QuizSettings(Model):
    __tablename__ = "quiz_settings"
    __table_args__ = (one_of("show_answers", SHOW_ANSWERS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), unique=True)
    pass_percent: Mapped[int] = mapped_column(Integer, default=75)
    questions_per_attempt: Mapped[int] = mapped_column(Integer, default=20)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer)
    shuffle_options: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    show_answers: Mapped[str] = mapped_column(String(20), default="after_last_attempt",
                                              server_default="after_last_attempt")
    # After every attempt allowed is used up without a pass: a new round of attempts after this many days (None:
    # only a staff reset opens a new round).
    cooloff_days: Mapped[int | None] = mapped_column(Integer)

    module: Mapped[Module] = relationship()


class Question(ModulePart, TimestampMixin, Model):
    """A multiple-choice question. Questions dropped from the content are retired, never deleted: attempts keep
    pointing at what the learner saw."""

    __tablename__ = "questions"
    natural_key = "key"

    key: Mapped[str] = mapped_column(String(80))
    objective: Mapped[int] = mapped_column(Integer)
    prompt: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text, default="")
    # The lecture that teaches what the question asks (its slug; "" when the content names none): a learner who
    # misses the question is sent back to it.
    lecture_slug: Mapped[str] = mapped_column(String(80), default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    choices: Mapped[list[Choice]] = relationship(
        back_populates="question", order_by="Choice.position", cascade="all, delete-orphan"
    )


class Choice(Model):
    __tablename__ = "choices"
    __table_args__ = (UniqueConstraint("question_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    correct: Mapped[bool] = mapped_column(Boolean, default=False)

    question: Mapped[Question] = relationship(back_populates="choices")


class Attempt(Model):
    """One sitting of a module's test. The questions and the order of their choices are fixed when it starts
    (``AttemptQuestion`` rows); it is graded once, by a conditional UPDATE from ``in_progress`` to ``graded``.

    ``voided_at`` marks attempts of an earlier round (a staff reset or an elapsed cool-off): kept for the records, no
    longer counted against the attempts allowed."""

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "module_id", "number"),
        one_of("status", ATTEMPT_STATUSES),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score"),
        Index("ix_attempts_module_id_user_id", "module_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per learner and module, voided rounds included
    status: Mapped[str] = mapped_column(String(20), default="in_progress")
    pass_percent: Mapped[int] = mapped_column(Integer)  # the settings as they were at the start
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    score: Mapped[int | None] = mapped_column(Integer)  # whole per cent, rounded down
    passed: Mapped[bool | None] = mapped_column(Boolean)
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voided_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")

    questions: Mapped[list[AttemptQuestion]] = relationship(
        back_populates="attempt", order_by="AttemptQuestion.position", cascade="all, delete-orphan"
    )


class AttemptQuestion(Model):
    """A question of an attempt, with the order its choices are shown in and the learner's saved answer."""

    __tablename__ = "attempt_questions"
    # Column order names the constraints apart (uq_attempt_questions_attempt_id, uq_attempt_questions_position).
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"), UniqueConstraint("position", "attempt_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    choice_order: Mapped[list[int]] = mapped_column(JSON)  # choice ids in the order shown
    selected_choice_id: Mapped[int | None] = mapped_column(ForeignKey("choices.id", ondelete="SET NULL"),
                                                           index=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    correct: Mapped[bool | None] = mapped_column(Boolean)  # set when graded

    attempt: Mapped[Attempt] = relationship(back_populates="questions")
    question: Mapped[Question] = relationship()


# The course evaluation and accommodation requests (H8) -----------------------------------------------------------

RATING_MIN, RATING_MAX = 1, 5
EVALUATION_COMMENTS_MAX = 2000
ACCOMMODATION_NEEDS_MAX = 2000
ACCOMMODATION_STATUSES = ("open", "handled")


class Evaluation(Model):
    """A learner's course evaluation, one per passed attempt, required before the certificate.

    The ratings are 1 (poor) to 5 (excellent). Each item list keeps the words the learner rated (objective text,
    lecture title, speaker name) beside the id, so a later content edit never changes what was answered:
    ``objective_ratings`` ``[{"index": 0, "text": str, "rating": 4}]``, ``lecture_ratings``
    ``[{"lecture_id": 7, "slug": str, "title": str, "rating": 5}]``, ``speaker_ratings``
    ``[{"speaker_id": 3, "slug": str, "name": str, "rating": 4}]``.

    Evaluations are the sponsor's record (kept at least 7 years): deleting the account unlinks the evaluation from
    the person (``user_id`` becomes NULL) and keeps the answers; the module cannot be deleted while it has any.
    """

    __tablename__ = "evaluations"
    __table_args__ = (
        CheckConstraint(f"relevance BETWEEN {RATING_MIN} AND {RATING_MAX}", name="relevance"),
        CheckConstraint(f"overall BETWEEN {RATING_MIN} AND {RATING_MAX}", name="overall"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="RESTRICT"), index=True)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id", ondelete="SET NULL"), unique=True)
    objective_ratings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    lecture_ratings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    speaker_ratings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    relevance: Mapped[int] = mapped_column(Integer)
    free_of_commercial_bias: Mapped[bool] = mapped_column(Boolean)
    overall: Mapped[int] = mapped_column(Integer)
    comments: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    module: Mapped[Module] = relationship()


class AccommodationRequest(TimestampMixin, Model):
    """A learner asks for an accommodation for a module's test (more time, a screen-reader-friendly format, ...).

    Staff are mailed and see open requests at /staff/accommodations. The request may describe a disability: it is
    the learner's personal data, shown to no one but staff, and deleted with the account.
    """

    __tablename__ = "accommodation_requests"
    __table_args__ = (one_of("status", ACCOMMODATION_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    needs: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    module: Mapped[Module] = relationship()
