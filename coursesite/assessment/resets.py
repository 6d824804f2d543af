"""Staff support for the test: a learner's attempts per module, and resetting a locked round (audited)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from coursesite.accounts.audit import record
from coursesite.accounts.models import User
from coursesite.assessment.attempts import AttemptRefused, reset_attempts
from coursesite.assessment.models import Attempt
from coursesite.assessment.services import TestStatus, test_status
from coursesite.catalog.models import Module
from coursesite.extensions import db


@dataclass(frozen=True)
class LearnerTest:
    module_slug: str
    module_title: str
    status: TestStatus
    attempts: list[Attempt]  # every attempt, voided rounds included, newest first


def learner_tests(user_id: int) -> list[LearnerTest]:
    """Each module whose test the learner has attempted, with the current status and every attempt."""
    attempts = list(db.session.scalars(
        select(Attempt).where(Attempt.user_id == user_id).order_by(Attempt.module_id, Attempt.number.desc())))
    module_ids = list(dict.fromkeys(attempt.module_id for attempt in attempts))
    modules = {m.id: m for m in db.session.scalars(select(Module).where(Module.id.in_(module_ids)))}
    return [LearnerTest(modules[mid].slug, modules[mid].title, test_status(user_id, mid),
                        [a for a in attempts if a.module_id == mid]) for mid in module_ids]


def reset_learner_attempts(learner: User, module_slug: str, reason: str, actor: User) -> int:
    """Void the learner's current round of attempts at ``module_slug`` so they may sit the test again; audited.
    Commits. Raises AttemptRefused (nothing to reset, a passed test, an unknown module)."""
    module = db.session.scalar(select(Module).where(Module.slug == module_slug))
    if module is None:
        raise AttemptRefused(f"There is no module {module_slug!r}.")
    voided = reset_attempts(learner.id, module.id, reason)
    if not voided:
        db.session.rollback()
        raise AttemptRefused("This learner has no attempts to reset for that module.")
    record(actor, "test.attempts_reset", learner, module=module.slug, attempts_voided=voided, reason=reason)
    db.session.commit()
    return voided
