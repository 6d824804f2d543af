"""What the learner sees of an attempt: the questions while it runs (no correctness data at all), and after grading
the score, the objectives where they were weak with the lectures to revisit, and, when the settings allow, the
correct answers and explanations."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from coursesite.assessment.attempts import Settings
from coursesite.assessment.models import Attempt, Choice, Question
from coursesite.assessment.services import TestStatus
from coursesite.catalog.models import Lecture, Module
from coursesite.extensions import db


@dataclass(frozen=True)
class ChoiceShown:
    id: int
    text: str


@dataclass(frozen=True)
class QuestionShown:
    """A question of an attempt in progress: prompt, choices in the attempt's order, the learner's saved choice."""

    id: int
    position: int
    prompt: str
    choices: list[ChoiceShown]
    selected_choice_id: int | None


def _questions_and_choices(attempt: Attempt) -> tuple[dict[int, Question], dict[int, Choice]]:
    ids = [item.question_id for item in attempt.questions]
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(ids)))}
    choices = {c.id: c for c in db.session.scalars(select(Choice).where(Choice.question_id.in_(ids)))}
    return questions, choices


def questions_for_learner(attempt: Attempt) -> list[QuestionShown]:
    """The attempt's questions as the attempt page shows them. Built from ids and texts only, so a template cannot
    leak which choice is correct, nor the explanations."""
    questions, choices = _questions_and_choices(attempt)
    return [QuestionShown(
        id=item.question_id, position=item.position, prompt=questions[item.question_id].prompt,
        choices=[ChoiceShown(id=choice_id, text=choices[choice_id].text) for choice_id in item.choice_order
                 if choice_id in choices],
        selected_choice_id=item.selected_choice_id,
    ) for item in attempt.questions]


@dataclass(frozen=True)
class LectureLink:
    slug: str
    title: str


@dataclass(frozen=True)
class ObjectiveResult:
    number: int
    text: str
    correct: int
    total: int
    weak: bool  # below the pass mark on this objective
    revisit: list[LectureLink]

    @property
    def percent(self) -> int:
        return 100 * self.correct // self.total if self.total else 0


@dataclass(frozen=True)
class AnswerShown:
    position: int
    prompt: str
    choices: list[ChoiceShown]
    selected_choice_id: int | None
    correct_choice_id: int | None
    correct: bool
    explanation: str


@dataclass(frozen=True)
class Report:
    score: int
    passed: bool
    pass_percent: int
    correct: int
    total: int
    objectives: list[ObjectiveResult]
    answers: list[AnswerShown] | None  # None: the settings do not show them (yet)
    answers_note: str


def answers_visible(attempt: Attempt, status: TestStatus, settings: Settings) -> bool:
    if settings.show_answers == "never":
        return False
    if attempt.passed:
        return True
    return settings.show_answers == "after_last_attempt" and status.state == "locked"


def report_for(module: Module, attempt: Attempt, status: TestStatus, settings: Settings) -> Report:
    """The result of a graded attempt."""
    questions, choices = _questions_and_choices(attempt)
    lectures = {lecture.slug: lecture.title for lecture in db.session.scalars(
        select(Lecture).where(Lecture.module_id == module.id).order_by(Lecture.position))}
    tally: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    missed_lectures: dict[int, list[str]] = defaultdict(list)
    for item in attempt.questions:
        question = questions[item.question_id]
        tally[question.objective][1] += 1
        if item.correct:
            tally[question.objective][0] += 1
        elif question.lecture_slug in lectures and question.lecture_slug not in missed_lectures[question.objective]:
            missed_lectures[question.objective].append(question.lecture_slug)
    objectives = []
    for number in sorted(tally):
        correct, total = tally[number]
        weak = 100 * correct < attempt.pass_percent * total
        text = module.objectives[number - 1] if 0 < number <= len(module.objectives) else f"Objective {number}"
        objectives.append(ObjectiveResult(number, text, correct, total, weak,
                                          [LectureLink(slug, lectures[slug]) for slug in missed_lectures[number]]))
    visible = answers_visible(attempt, status, settings)
    answers = None
    if visible:
        answers = []
        for item in attempt.questions:
            question = questions[item.question_id]
            correct_choice = next((cid for cid in item.choice_order if cid in choices and choices[cid].correct), None)
            answers.append(AnswerShown(
                position=item.position, prompt=question.prompt,
                choices=[ChoiceShown(cid, choices[cid].text) for cid in item.choice_order if cid in choices],
                selected_choice_id=item.selected_choice_id, correct_choice_id=correct_choice,
                correct=bool(item.correct), explanation=question.explanation))
    note = {
        "never": "This test does not show its answers.",
        "after_pass": "The answers and explanations are shown once you pass.",
        "after_last_attempt": "The answers and explanations are shown once you pass or have used every attempt.",
    }[settings.show_answers]
    total_correct = sum(c for c, _ in tally.values())
    return Report(score=attempt.score or 0, passed=bool(attempt.passed), pass_percent=attempt.pass_percent,
                  correct=total_correct, total=len(attempt.questions), objectives=objectives, answers=answers,
                  answers_note=note)
