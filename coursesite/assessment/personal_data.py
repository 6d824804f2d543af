"""What the assessment package keeps about a person, for the data download and account deletion (see
accounts/personal_data.py): test attempts, course evaluations and accommodation requests.

- **Attempts** are the sponsor's record of the test: deletion keeps them on the anonymised account. The download
  lists each attempt with its score and the answer the learner chose for each question (never which answers are
  correct: that stays on the results page, under the module's quiz settings).

- **Evaluations** are the sponsor's record: approving bodies (APA's standards for sponsors; state boards; ASWB ACE,
  NBCC) require the evaluation data of every credited participant to be kept with the attendance, test and
  certificate records for at least 7 years. Deleting the account therefore keeps each evaluation's answers and
  comments and unlinks it from the person (``user_id`` NULL): the record stays complete for an audit, but names no
  one (the account itself is anonymised, and the certificate keeps its own name snapshot, as boards require).
- **Accommodation requests** may describe a disability: they are not a CE record, and are deleted with the account.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import selectinload

from coursesite.accounts.models import User
from coursesite.accounts.personal_data import AccountDataPart, iso
from coursesite.assessment.models import AccommodationRequest, Attempt, AttemptQuestion, Choice, Evaluation
from coursesite.catalog.models import Module
from coursesite.extensions import db


def export_attempts(user: User) -> list[dict[str, Any]]:
    attempts = db.session.execute(
        select(Attempt, Module.slug).join(Module, Module.id == Attempt.module_id).where(Attempt.user_id == user.id)
        .options(selectinload(Attempt.questions).selectinload(AttemptQuestion.question))
        .order_by(Attempt.started_at, Attempt.id)).all()
    chosen_ids = {item.selected_choice_id for attempt, _slug in attempts for item in attempt.questions
                  if item.selected_choice_id is not None}
    chosen = {choice.id: choice.text
              for choice in db.session.scalars(select(Choice).where(Choice.id.in_(chosen_ids)))} if chosen_ids else {}
    return [
        {"module": slug, "number": attempt.number, "status": attempt.status, "started_at": iso(attempt.started_at),
         "submitted_at": iso(attempt.submitted_at), "score": attempt.score, "passed": attempt.passed,
         "voided_at": iso(attempt.voided_at),
         "answers": [{"question": item.question.prompt,
                      "your_answer": chosen.get(item.selected_choice_id) if item.selected_choice_id else None}
                     for item in attempt.questions]}
        for attempt, slug in attempts
    ]


def export_assessment(user: User) -> dict[str, Any]:
    evaluations = db.session.execute(
        select(Evaluation, Module.slug).join(Module, Module.id == Evaluation.module_id)
        .where(Evaluation.user_id == user.id).order_by(Evaluation.created_at, Evaluation.id)).all()
    requests = db.session.execute(
        select(AccommodationRequest, Module.slug).join(Module, Module.id == AccommodationRequest.module_id)
        .where(AccommodationRequest.user_id == user.id).order_by(AccommodationRequest.id)).all()
    return {
        "attempts": export_attempts(user),
        "evaluations": [
            {"module": slug, "attempt_id": evaluation.attempt_id, "saved_at": iso(evaluation.created_at),
             "objectives": evaluation.objective_ratings, "lectures": evaluation.lecture_ratings,
             "speakers": evaluation.speaker_ratings, "relevance": evaluation.relevance,
             "free_of_commercial_bias": evaluation.free_of_commercial_bias, "overall": evaluation.overall,
             "comments": evaluation.comments}
            for evaluation, slug in evaluations
        ],
        "accommodation_requests": [
            {"module": slug, "sent_at": iso(request.created_at), "needs": request.needs, "status": request.status,
             "handled_at": iso(request.handled_at)}
            for request, slug in requests
        ],
    }


def erase_assessment(user: User) -> None:
    """Attempts stay (on the anonymised account); evaluations are unlinked; accommodation requests are deleted."""
    db.session.execute(update(Evaluation).where(Evaluation.user_id == user.id).values(user_id=None))
    db.session.execute(delete(AccommodationRequest).where(AccommodationRequest.user_id == user.id))


ASSESSMENT_DATA = AccountDataPart("assessment", export=export_assessment, erase=erase_assessment)
