"""What staff read from the course evaluations: aggregates per module, objective, lecture and speaker, and the rows
for a CSV export (without the learners' names: the sponsor records export names who evaluated)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select

from coursesite.assessment.evaluation import RATINGS
from coursesite.assessment.models import Evaluation
from coursesite.catalog.models import Module
from coursesite.extensions import db

RECENT_COMMENTS = 50


@dataclass(frozen=True)
class Period:
    """Evaluations saved from ``start`` to ``end`` (both days included, UTC); None leaves that side open."""

    start: date | None = None
    end: date | None = None

    @property
    def starts_at(self) -> datetime | None:
        return datetime.combine(self.start, time.min, UTC) if self.start else None

    @property
    def ends_before(self) -> datetime | None:
        """The first moment after the period (midnight UTC after its last day)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, UTC) if self.end else None

    def conditions(self, column: Any) -> list[ColumnElement[bool]]:
        found = []
        if self.starts_at:
            found.append(column >= self.starts_at)
        if self.ends_before:
            found.append(column < self.ends_before)
        return found

    @property
    def label(self) -> str:
        if not self.start and not self.end:
            return "all time"
        start = self.start.isoformat() if self.start else "the start"
        return f"{start} to {self.end.isoformat() if self.end else 'today'}"


ALL_TIME = Period()


@dataclass
class Figure:
    """The ratings of one item: how many, their mean, and how many of each value (1..5)."""

    key: str
    label: str
    distribution: list[int] = field(default_factory=lambda: [0] * len(RATINGS))

    def add(self, rating: int) -> None:
        if rating in RATINGS:
            self.distribution[rating - RATINGS[0]] += 1

    @property
    def count(self) -> int:
        return sum(self.distribution)

    @property
    def mean(self) -> float | None:
        if not self.count:
            return None
        return sum(value * count for value, count in zip(RATINGS, self.distribution, strict=True)) / self.count


@dataclass(frozen=True)
class ModuleCount:
    module_id: int
    slug: str
    title: str
    count: int
    mean_overall: float | None


@dataclass(frozen=True)
class Comment:
    created_at: datetime
    text: str


@dataclass(frozen=True)
class EvaluationSummary:
    module_id: int
    slug: str
    title: str
    period: Period
    count: int
    overall: Figure
    relevance: Figure
    free_of_bias: int  # evaluations answering "yes"
    objectives: list[Figure]
    lectures: list[Figure]
    speakers: list[Figure]
    comments: list[Comment]

    @property
    def bias_reported(self) -> int:
        return self.count - self.free_of_bias


def modules_with_counts(period: Period = ALL_TIME) -> list[ModuleCount]:
    """Every module with its number of evaluations in the period and their mean overall rating (one query)."""
    joined = [Evaluation.module_id == Module.id, *period.conditions(Evaluation.created_at)]
    rows = db.session.execute(
        select(Module.id, Module.slug, Module.title, func.count(Evaluation.id), func.avg(Evaluation.overall))
        .outerjoin(Evaluation, *joined).group_by(Module.id, Module.slug, Module.title).order_by(Module.title)
    ).all()
    return [ModuleCount(module_id, slug, title, count, float(mean) if mean is not None else None)
            for module_id, slug, title, count, mean in rows]


def speakers_across_modules(period: Period = ALL_TIME) -> list[Figure]:
    """Each speaker's ratings over every module's evaluations in the period, best mean first (one query)."""
    figures: dict[str, Figure] = {}
    answers = db.session.scalars(select(Evaluation.speaker_ratings).where(*period.conditions(Evaluation.created_at)))
    for rated in answers:
        for answer in rated or []:
            key = str(answer.get("speaker_id"))
            figures.setdefault(key, Figure(key, str(answer.get("name", key)))).add(answer.get("rating", 0))
    return sorted(figures.values(), key=lambda figure: (-(figure.mean or 0), figure.label))


def evaluations_of(module_id: int, period: Period = ALL_TIME) -> list[Evaluation]:
    return list(db.session.scalars(
        select(Evaluation).where(Evaluation.module_id == module_id, *period.conditions(Evaluation.created_at))
        .order_by(Evaluation.created_at, Evaluation.id)
    ))


def _figures(evaluations: Iterable[Evaluation], attribute: str, id_key: str, label_key: str,
             order: list[tuple[str, str]]) -> list[Figure]:
    """Figures per item, in the module's current order first, then items no longer in the module (by label)."""
    figures = {key: Figure(key, label) for key, label in order}
    for evaluation in evaluations:
        for answer in getattr(evaluation, attribute) or []:
            key = str(answer.get(id_key))
            figure = figures.setdefault(key, Figure(key, f"{answer.get(label_key, key)} (no longer in the module)"))
            figure.add(answer.get("rating", 0))
    return list(figures.values())


def summary(module: Module, period: Period = ALL_TIME) -> EvaluationSummary:
    """The aggregates of one module's evaluations in the period (a fixed number of queries)."""
    evaluations = evaluations_of(module.id, period)
    overall, relevance = Figure("overall", "Overall rating"), Figure("relevance", "Relevant to practice")
    for evaluation in evaluations:
        overall.add(evaluation.overall)
        relevance.add(evaluation.relevance)
    speakers = {speaker.id: speaker.display_name for speaker in module.speakers}
    comments = [Comment(evaluation.created_at, evaluation.comments) for evaluation in reversed(evaluations)
                if evaluation.comments][:RECENT_COMMENTS]
    return EvaluationSummary(
        module_id=module.id, slug=module.slug, title=module.title, period=period, count=len(evaluations),
        overall=overall, relevance=relevance,
        free_of_bias=sum(1 for evaluation in evaluations if evaluation.free_of_commercial_bias),
        objectives=_figures(evaluations, "objective_ratings", "index", "text",
                            [(str(index), text) for index, text in enumerate(module.objectives or [])]),
        lectures=_figures(evaluations, "lecture_ratings", "lecture_id", "title",
                          [(str(lecture.id), lecture.title) for lecture in module.lectures]),
        speakers=_figures(evaluations, "speaker_ratings", "speaker_id", "name",
                          [(str(speaker_id), name) for speaker_id, name in speakers.items()]),
        comments=comments,
    )


def export_header(module: Module) -> list[str]:
    return [
        "evaluation_id", "saved_at", "overall", "relevance", "free_of_commercial_bias",
        *[f"objective {index + 1}: {text}" for index, text in enumerate(module.objectives or [])],
        *[f"lecture: {lecture.title}" for lecture in module.lectures],
        *[f"speaker: {speaker.display_name}" for speaker in module.speakers],
        "comments",
    ]


def _by(answers: list[dict[str, Any]], key: str) -> dict[str, int]:
    return {str(answer.get(key)): answer.get("rating", "") for answer in answers or []}


def export_rows(module: Module, period: Period = ALL_TIME) -> list[list[Any]]:
    """One row per evaluation, in the columns of :func:`export_header` (items the module no longer has are left
    out; the staff page shows them)."""
    rows = []
    for evaluation in evaluations_of(module.id, period):
        objectives = _by(evaluation.objective_ratings, "index")
        lectures = _by(evaluation.lecture_ratings, "lecture_id")
        speakers = _by(evaluation.speaker_ratings, "speaker_id")
        rows.append([
            evaluation.id, evaluation.created_at, evaluation.overall, evaluation.relevance,
            evaluation.free_of_commercial_bias,
            *[objectives.get(str(index), "") for index in range(len(module.objectives or []))],
            *[lectures.get(str(lecture.id), "") for lecture in module.lectures],
            *[speakers.get(str(speaker.id), "") for speaker in module.speakers],
            evaluation.comments,
        ])
    return rows
