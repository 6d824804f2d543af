from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coursesite.catalog.models import Module, ModulePart
from coursesite.models_base import Model, TimestampMixin


class QuizSettings(Model):
    __tablename__ = "quiz_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), unique=True)
    pass_percent: Mapped[int] = mapped_column(Integer, default=75)
    questions_per_attempt: Mapped[int] = mapped_column(Integer, default=20)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer)

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
