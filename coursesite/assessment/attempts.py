"""Sitting a module's test: start an attempt, save answers as the learner goes, grade once on the server.

The rules, in one place:

- **Fixed at the start.** ``start_attempt`` draws the attempt's questions from the active bank, spread over the
  learning objectives (round robin over the objectives, each in random order), and fixes each question's choice
  order (shuffled unless the settings say otherwise). A reload, or another device, shows the same attempt.
- **Saved as the learner goes.** ``save_answer`` stores one answer, ``save_answers`` a form's worth; they refuse
  a question outside the attempt, a choice of another question, an attempt that is graded or whose time is up.
  Nothing is written on a refusal.
- **Graded once, on the server.** ``submit_attempt`` grades by a conditional UPDATE from ``in_progress`` to
  ``graded`` while the attempt's row is locked, so two submissions (a double click, two devices) grade it once and
  the second one sees the first one's result. A late submission is graded on the answers saved in time (later
  saves were refused).
- **Limits.** ``max_attempts`` attempts per round; after a round without a pass the test is locked until a staff
  reset (``reset_attempts``) or, when ``cooloff_days`` is set, until that many days after the last attempt: the
  old round's attempts are then voided (kept for the records, no longer counted).

Other people's attempts are :class:`AttemptNotFound` (a 404), never a "not yours".
"""
from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from coursesite.accounts.models import User
from coursesite.assessment.models import Attempt, AttemptQuestion, Choice, Question, QuizSettings
from coursesite.assessment.signals import SENDER, test_passed
from coursesite.extensions import db
from coursesite.models_base import as_utc, lock_row, rows_matched, utcnow

_random = random.SystemRandom()


class AttemptNotFound(LookupError):
    """No such attempt of this learner (someone else's is not found either): a 404."""


class AttemptRefused(ValueError):
    """The request is understood but not allowed now; ``str(error)`` says why, for the learner."""


@dataclass(frozen=True)
class Settings:
    """A module's quiz settings as plain data (the defaults when the module has no ``quiz:`` block)."""

    pass_percent: int = 75
    questions_per_attempt: int = 20
    max_attempts: int = 3
    time_limit_minutes: int | None = None
    shuffle_options: bool = True
    show_answers: str = "after_last_attempt"
    cooloff_days: int | None = None


def quiz_settings(module_id: int) -> Settings:
    row = db.session.scalar(select(QuizSettings).where(QuizSettings.module_id == module_id))
    if row is None:
        return Settings()
    return Settings(pass_percent=row.pass_percent, questions_per_attempt=row.questions_per_attempt,
                    max_attempts=row.max_attempts, time_limit_minutes=row.time_limit_minutes,
                    shuffle_options=row.shuffle_options, show_answers=row.show_answers,
                    cooloff_days=row.cooloff_days)


def current_attempts(user_id: int, module_id: int) -> list[Attempt]:
    """The learner's attempts of the current round (not voided), oldest first."""
    return list(db.session.scalars(
        select(Attempt).where(Attempt.user_id == user_id, Attempt.module_id == module_id,
                              Attempt.voided_at.is_(None)).order_by(Attempt.number)
    ))


def get_attempt(user_id: int, attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != user_id:
        raise AttemptNotFound(attempt_id)
    return attempt


def locked_attempt(user_id: int, attempt_id: int, module_id: int | None = None) -> Attempt:
    """The learner's attempt (of ``module_id`` when given) with its questions, its row locked until the transaction
    ends and everything read after taking the lock, so a concurrent save or grading is seen."""
    lock_row(Attempt, attempt_id)
    attempt = db.session.scalar(select(Attempt).where(Attempt.id == attempt_id)
                                .options(selectinload(Attempt.questions))
                                .execution_options(populate_existing=True))
    if attempt is None or attempt.user_id != user_id or module_id not in (None, attempt.module_id):
        db.session.rollback()
        raise AttemptNotFound(attempt_id)
    return attempt


def time_is_up(attempt: Attempt, now: datetime | None = None) -> bool:
    return attempt.deadline is not None and as_utc(now or utcnow()) >= as_utc(attempt.deadline)


def cooloff_ends(attempts: list[Attempt], settings: Settings) -> datetime | None:
    """When a locked round opens again by itself (None: only a staff reset opens it)."""
    if settings.cooloff_days is None or not attempts:
        return None
    last = max(as_utc(a.submitted_at or a.started_at) for a in attempts)
    return last + timedelta(days=settings.cooloff_days)


def draw_questions(bank: list[Question], count: int) -> list[Question]:
    """``count`` questions spread over the objectives: one from each objective in turn (objectives and their
    questions in random order), until ``count`` are drawn or the bank runs out."""
    by_objective: dict[int, list[Question]] = defaultdict(list)
    for question in bank:
        by_objective[question.objective].append(question)
    piles = list(by_objective.values())
    for pile in piles:
        _random.shuffle(pile)
    _random.shuffle(piles)
    drawn: list[Question] = []
    while len(drawn) < count and any(piles):
        for pile in piles:
            if pile and len(drawn) < count:
                drawn.append(pile.pop())
    _random.shuffle(drawn)
    return drawn


def start_attempt(user_id: int, module_id: int, now: datetime | None = None) -> Attempt:
    """The learner's attempt in progress, or a new one. Who may sit the test is the caller's question
    (``eligibility.may_sit``); this refuses only what the attempt limits refuse. Commits."""
    now = as_utc(now or utcnow())
    lock_row(User, user_id)  # one learner's starts run one at a time
    settings = quiz_settings(module_id)
    attempts = current_attempts(user_id, module_id)
    for attempt in attempts:
        if attempt.status == "in_progress":
            if not time_is_up(attempt, now):
                return attempt
            grade(attempt, now)
    if any(attempt.passed for attempt in attempts):
        db.session.commit()
        raise AttemptRefused("You have already passed this test.")
    if len(attempts) >= settings.max_attempts:
        opens = cooloff_ends(attempts, settings)
        if opens is None or now < opens:
            db.session.commit()
            raise AttemptRefused("You have used every attempt allowed. "
                                 + (f"You may try again from {opens:%d %B %Y %H:%M} UTC." if opens
                                    else "Please ask us to reset your attempts."))
        void_attempts(attempts, "cool-off ended", now)
    bank = list(db.session.scalars(
        select(Question).where(Question.module_id == module_id, Question.active.is_(True))
    ))
    if not bank:
        db.session.commit()
        raise AttemptRefused("This module has no test questions yet.")
    number = (db.session.scalar(select(func.max(Attempt.number)).where(
        Attempt.user_id == user_id, Attempt.module_id == module_id)) or 0) + 1
    attempt = Attempt(user_id=user_id, module_id=module_id, number=number, status="in_progress",
                      pass_percent=settings.pass_percent, started_at=now,
                      deadline=now + timedelta(minutes=settings.time_limit_minutes)
                      if settings.time_limit_minutes else None)
    for position, question in enumerate(draw_questions(bank, settings.questions_per_attempt), start=1):
        order = [choice.id for choice in question.choices]
        if settings.shuffle_options:
            _random.shuffle(order)
        attempt.questions.append(AttemptQuestion(question_id=question.id, position=position, choice_order=order))
    db.session.add(attempt)
    db.session.commit()
    return attempt


def void_attempts(attempts: list[Attempt], reason: str, now: datetime) -> int:
    """Close a round: the attempts stay for the records and stop counting. An attempt in progress is graded
    first."""
    for attempt in attempts:
        if attempt.status == "in_progress":
            grade(attempt, now)
        attempt.voided_at, attempt.voided_reason = now, reason[:200]
    return len(attempts)


def save_answer(user_id: int, attempt_id: int, question_id: int, choice_id: int,
                now: datetime | None = None) -> AttemptQuestion:
    """Store the learner's choice for one question of their attempt in progress. Commits, or refuses with nothing
    written."""
    return save_answers(user_id, attempt_id, [(question_id, choice_id)], now)[0]


def save_answers(user_id: int, attempt_id: int, answers: list[tuple[int, int]],
                 now: datetime | None = None) -> list[AttemptQuestion]:
    """Store several ``(question id, choice id)`` answers at once (the form without JavaScript): all of them, in one
    transaction, or none when any is refused. Commits."""
    now = as_utc(now or utcnow())
    attempt = locked_attempt(user_id, attempt_id)
    try:
        if attempt.status != "in_progress":
            raise AttemptRefused("This attempt has been submitted; its answers can no longer change.")
        if time_is_up(attempt, now):
            raise AttemptRefused("The time for this attempt is up; answers saved before the end are kept.")
        saved = _apply_answers(attempt, answers, now)
    except AttemptRefused:
        db.session.rollback()
        raise
    db.session.commit()
    return saved


def _apply_answers(attempt: Attempt, answers: list[tuple[int, int]], now: datetime) -> list[AttemptQuestion]:
    """Set the answers on the attempt's questions, after checking every one (AttemptRefused: the caller rolls
    back)."""
    items = {aq.question_id: aq for aq in attempt.questions}
    saved = []
    for question_id, choice_id in answers:
        item = items.get(question_id)
        if item is None:
            raise AttemptRefused("That question is not part of this attempt.")
        if choice_id not in item.choice_order:
            raise AttemptRefused("That answer is not one of this question's choices.")
        if item.selected_choice_id != choice_id:
            item.selected_choice_id, item.answered_at = choice_id, now
        saved.append(item)
    return saved


def grade(attempt: Attempt, now: datetime) -> bool:
    """Grade ``attempt`` if it is still in progress, in the caller's transaction; True when this call graded it.
    The caller holds the attempt's row lock (or the learner's) so answers cannot change under it."""
    correct_ids = set(db.session.scalars(
        select(Choice.id).join(AttemptQuestion, AttemptQuestion.question_id == Choice.question_id)
        .where(AttemptQuestion.attempt_id == attempt.id, Choice.correct.is_(True))
    ))
    results = {aq.id: aq.selected_choice_id in correct_ids for aq in attempt.questions}
    score = score_of(list(results.values()))
    passed = score >= attempt.pass_percent
    graded = update(Attempt).where(Attempt.id == attempt.id, Attempt.status == "in_progress").values(
        status="graded", score=score, passed=passed, submitted_at=now)
    if rows_matched(db.session.execute(graded.execution_options(synchronize_session=False))) != 1:
        db.session.refresh(attempt)
        return False
    marked = update(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id).values(
        correct=func.coalesce(AttemptQuestion.selected_choice_id.in_(correct_ids), False))
    db.session.execute(marked.execution_options(synchronize_session=False))  # one statement, however many questions
    for aq in attempt.questions:
        set_committed_value(aq, "correct", results[aq.id])
    for name, value in (("status", "graded"), ("score", score), ("passed", passed), ("submitted_at", now)):
        set_committed_value(attempt, name, value)  # what the UPDATE wrote, without reading it back
    if passed:
        test_passed.send(SENDER, user_id=attempt.user_id, module_id=attempt.module_id, attempt_id=attempt.id)
    return True


def score_of(results: list[bool]) -> int:
    """Whole per cent of questions answered correctly, rounded down (no partial credit)."""
    if not results:
        return 0
    return math.floor(100 * sum(results) / len(results))


def submit_attempt(user_id: int, attempt_id: int, now: datetime | None = None, *,
                   answers: list[tuple[int, int]] | None = None, module_id: int | None = None) -> Attempt:
    """Grade the learner's attempt (once: a second submission changes nothing), first saving ``answers`` (the
    submitted form's) while it is open and in time; late answers are ignored, and it is graded on those saved in
    time. Refused answers (AttemptRefused) leave the attempt ungraded and unchanged. Commits."""
    now = as_utc(now or utcnow())
    attempt = locked_attempt(user_id, attempt_id, module_id)
    if answers and attempt.status == "in_progress" and not time_is_up(attempt, now):
        try:
            _apply_answers(attempt, answers, now)
        except AttemptRefused:
            db.session.rollback()
            raise
    grade(attempt, now)
    db.session.commit()
    return attempt


def grade_if_expired(attempt: Attempt, now: datetime | None = None) -> bool:
    """Grade an attempt whose time is up (on the answers saved in time); True when this call graded it. Commits."""
    if attempt.status != "in_progress" or not time_is_up(attempt, now):
        return False
    attempt = locked_attempt(attempt.user_id, attempt.id)
    graded = grade(attempt, as_utc(attempt.deadline or utcnow()))
    db.session.commit()
    return graded


def reset_attempts(user_id: int, module_id: int, reason: str, now: datetime | None = None) -> int:
    """Staff: void the learner's current round so they may sit the test again; how many attempts were voided. In the
    caller's transaction (the caller audits and commits)."""
    lock_row(User, user_id)
    attempts = current_attempts(user_id, module_id)
    if any(attempt.passed for attempt in attempts):
        raise AttemptRefused("This learner has passed the test; a passed attempt is not reset.")
    return void_attempts(attempts, f"reset by staff: {reason}", as_utc(now or utcnow()))
