"""The course evaluation: after passing a module's test, and before the certificate (issue 15).

CE sponsors must collect an evaluation from everyone who receives credit, with an item per learning objective
(APA's standards): each objective met, each lecture, each speaker, relevance to practice, freedom from commercial
bias, an overall rating and comments. One evaluation per passed attempt (``Evaluation.attempt_id`` is unique); saving
it sends ``signals.evaluation_saved`` inside the transaction, so the certificates package issues the certificate in
the same commit: an evaluation without its certificate (or the reverse) never exists.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from coursesite.assessment.models import EVALUATION_COMMENTS_MAX, RATING_MAX, RATING_MIN, Attempt, Evaluation
from coursesite.assessment.services import test_status
from coursesite.assessment.signals import SENDER, evaluation_saved
from coursesite.catalog.models import Lecture, LectureSpeaker, Module
from coursesite.extensions import db
from coursesite.models_base import lock_row

RATINGS = tuple(range(RATING_MIN, RATING_MAX + 1))
RATING_LABELS = {1: "Poor", 2: "Fair", 3: "Good", 4: "Very good", 5: "Excellent"}
AGREEMENT_LABELS = {1: "Strongly disagree", 2: "Disagree", 3: "Neither", 4: "Agree", 5: "Strongly agree"}


class EvaluationRefused(Exception):
    """The learner may not evaluate (now): ``reason`` is ``"not_passed"`` or ``"already_evaluated"``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Item:
    """One thing rated: an objective (key ``"objective-<index>"``), a lecture or a speaker (by id)."""

    key: str
    id: int
    slug: str
    label: str


@dataclass(frozen=True)
class EvaluationItems:
    objectives: list[Item]
    lectures: list[Item]
    speakers: list[Item]


@dataclass(frozen=True)
class Answers:
    """What the learner answered: ratings by item key, and the questions about the whole module."""

    ratings: dict[str, int]
    relevance: int
    free_of_commercial_bias: bool
    overall: int
    comments: str = ""


def module_for_evaluation(slug: str) -> Module | None:
    """The module with its lectures and their speakers loaded (a fixed number of queries)."""
    return db.session.scalar(
        select(Module).where(Module.slug == slug)
        .options(selectinload(Module.lectures).selectinload(Lecture.speaker_links)
                 .selectinload(LectureSpeaker.speaker))
    )


def items_of(module: Module) -> EvaluationItems:
    return EvaluationItems(
        objectives=[Item(f"objective-{index}", index, str(index), text)
                    for index, text in enumerate(module.objectives or [])],
        lectures=[Item(f"lecture-{lecture.id}", lecture.id, lecture.slug, lecture.title)
                  for lecture in module.lectures],
        speakers=[Item(f"speaker-{speaker.id}", speaker.id, speaker.slug, speaker.display_name)
                  for speaker in module.speakers],
    )


def passed_attempt_id(user_id: int, module_id: int) -> int | None:
    """The passed attempt of the learner's current round (``services.test_status``: voided rounds do not count)."""
    return test_status(user_id, module_id).passed_attempt_id


def evaluation_of(attempt_id: int) -> Evaluation | None:
    return db.session.scalar(select(Evaluation).where(Evaluation.attempt_id == attempt_id))


def evaluable_attempt_id(user_id: int, module_id: int) -> int:
    """The passed attempt the learner may evaluate now; :class:`EvaluationRefused` when there is none (no pass
    yet) or it is already evaluated."""
    attempt_id = passed_attempt_id(user_id, module_id)
    if attempt_id is None:
        raise EvaluationRefused("not_passed", "The course evaluation opens once you have passed the module's test.")
    if evaluation_of(attempt_id) is not None:
        raise EvaluationRefused("already_evaluated", "You have already evaluated this module: thank you. Your "
                                                     "certificate is on your certificates page.")
    return attempt_id


def _rated(items: list[Item], ratings: dict[str, int], kind: str) -> list[dict[str, Any]]:
    rows = []
    for item in items:
        rating = ratings.get(item.key)
        if rating not in RATINGS:
            raise ValueError(f"{item.key}: a rating from {RATING_MIN} to {RATING_MAX} is required")
        if kind == "objective":
            rows.append({"index": item.id, "text": item.label, "rating": rating})
        else:
            name = "title" if kind == "lecture" else "name"
            rows.append({f"{kind}_id": item.id, "slug": item.slug, name: item.label, "rating": rating})
    return rows


def save_evaluation(user_id: int, module: Module, answers: Answers) -> Evaluation:
    """Save the evaluation of the learner's passed attempt and tell the certificates package, in the caller's
    transaction (no commit). Raises :class:`EvaluationRefused` (nothing written) or ``ValueError`` for answers the
    form should have refused."""
    attempt_id = passed_attempt_id(user_id, module.id)
    if attempt_id is not None:
        # Two submissions at once (a double click, two tabs) wait here; the second then sees the first's row.
        lock_row(Attempt, attempt_id)
    attempt_id = evaluable_attempt_id(user_id, module.id)
    for value in (answers.relevance, answers.overall):
        if value not in RATINGS:
            raise ValueError(f"a rating from {RATING_MIN} to {RATING_MAX} is required")
    if len(answers.comments) > EVALUATION_COMMENTS_MAX:
        raise ValueError(f"comments are limited to {EVALUATION_COMMENTS_MAX} characters")
    items = items_of(module)
    evaluation = Evaluation(
        user_id=user_id, module_id=module.id, attempt_id=attempt_id,
        objective_ratings=_rated(items.objectives, answers.ratings, "objective"),
        lecture_ratings=_rated(items.lectures, answers.ratings, "lecture"),
        speaker_ratings=_rated(items.speakers, answers.ratings, "speaker"),
        relevance=answers.relevance, free_of_commercial_bias=answers.free_of_commercial_bias,
        overall=answers.overall, comments=answers.comments.strip(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(evaluation)
    except IntegrityError:  # another request evaluated the attempt between the check and the write
        raise EvaluationRefused("already_evaluated", "You have already evaluated this module.") from None
    evaluation_saved.send(SENDER, user_id=user_id, module_id=module.id, attempt_id=attempt_id,
                          evaluation_id=evaluation.id)
    return evaluation
