"""The assessment package's part of the sponsor's records (coursesite/certificates/records.py): every attempt and
every evaluation of a module in a period, as plain rows with the learner's name and address as the account holds
them now (a deleted account shows as anonymised)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from coursesite.accounts.models import User
from coursesite.assessment.evaluation_reports import ALL_TIME, Period
from coursesite.assessment.models import Attempt, Evaluation
from coursesite.extensions import db


@dataclass(frozen=True)
class AttemptRecord:
    attempt_id: int
    user_id: int
    full_name: str
    email: str
    licence_number: str
    number: int
    started_at: datetime
    submitted_at: datetime | None
    status: str
    score: int | None
    passed: bool | None
    pass_percent: int
    voided_at: datetime | None
    voided_reason: str


@dataclass(frozen=True)
class EvaluationRecord:
    evaluation: Evaluation
    full_name: str  # "" for an evaluation whose account was deleted
    email: str


def attempt_records(module_id: int, period: Period = ALL_TIME) -> list[AttemptRecord]:
    """The module's attempts started in the period, oldest first, voided ones included (one query)."""
    rows = db.session.execute(
        select(Attempt, User.full_name, User.email, User.licence_number).join(User, User.id == Attempt.user_id)
        .where(Attempt.module_id == module_id, *period.conditions(Attempt.started_at))
        .order_by(Attempt.started_at, Attempt.id)
    ).all()
    return [AttemptRecord(attempt.id, attempt.user_id, name, email, licence, attempt.number, attempt.started_at,
                          attempt.submitted_at, attempt.status, attempt.score, attempt.passed, attempt.pass_percent,
                          attempt.voided_at, attempt.voided_reason)
            for attempt, name, email, licence in rows]


def evaluation_records(module_id: int, period: Period = ALL_TIME) -> list[EvaluationRecord]:
    """The module's evaluations saved in the period, oldest first, with who gave them (one query)."""
    rows = db.session.execute(
        select(Evaluation, User.full_name, User.email).outerjoin(User, User.id == Evaluation.user_id)
        .where(Evaluation.module_id == module_id, *period.conditions(Evaluation.created_at))
        .order_by(Evaluation.created_at, Evaluation.id)
    ).all()
    return [EvaluationRecord(evaluation, name or "", email or "") for evaluation, name, email in rows]
