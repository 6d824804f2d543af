"""What other packages ask of the assessment package: a learner's test status, and whether they may sit the test.

- ``test_status(user_id, module_id)`` / ``test_statuses(user_ids, module_id)``: plain data (organisation dashboard,
  sponsor records, certificates);
- ``may_sit(user, module)``: the three gates (access to the module, the test-and-certificate entitlement, the
  completion rule of ``coursesite.learning.progress``) and, for each one that is missing, what to do, with links.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from flask import url_for
from sqlalchemy import select

from coursesite.assessment.attempts import Settings, cooloff_ends, quiz_settings
from coursesite.assessment.models import Attempt
from coursesite.billing.access import has_access, has_entitlement
from coursesite.catalog.models import Module
from coursesite.extensions import db
from coursesite.learning.progress import completion
from coursesite.models_base import as_utc, utcnow
from coursesite.permissions import Member

TEST_STATES = ("not_started", "in_progress", "failed", "passed", "locked")


@dataclass(frozen=True)
class TestStatus:
    """Where a learner stands with a module's test (the current round of attempts; voided ones do not count)."""

    __test__ = False  # pytest: not a test class

    state: str  # one of TEST_STATES
    attempts_used: int
    attempts_allowed: int
    best_score: int | None
    passed_attempt_id: int | None
    passed_at: datetime | None
    in_progress_attempt_id: int | None = None
    locked_until: datetime | None = None  # a locked round opens by itself then (None: a staff reset opens it)

    @property
    def attempts_left(self) -> int:
        return max(self.attempts_allowed - self.attempts_used, 0)


def _status(attempts: list[Attempt], settings: Settings, now: datetime) -> TestStatus:
    graded = [a for a in attempts if a.status == "graded"]
    passed = next((a for a in sorted(graded, key=lambda a: a.number) if a.passed), None)
    running = next((a for a in attempts if a.status == "in_progress"), None)
    scores = [a.score for a in graded if a.score is not None]
    best = max(scores) if scores else None
    used, allowed = len(attempts), settings.max_attempts
    if passed is not None:
        return TestStatus("passed", used, allowed, best, passed.id, as_utc(passed.submitted_at or now))
    if running is not None:
        return TestStatus("in_progress", used, allowed, best, None, None, in_progress_attempt_id=running.id)
    if used >= allowed:
        opens = cooloff_ends(attempts, settings)
        if opens is None or now < opens:
            return TestStatus("locked", used, allowed, best, None, None, locked_until=opens)
        return TestStatus("failed", 0, allowed, best, None, None)  # the cool-off is over: a new round
    return TestStatus("failed" if graded else "not_started", used, allowed, best, None, None)


def test_statuses(user_ids: Collection[int], module_id: int,
                  now: datetime | None = None,  # noqa: PT028 - a service named in contracts.md, not a test
                  ) -> dict[int, TestStatus]:
    """Each learner's status with one module's test: one query for the attempts (and one for the settings)."""
    now = as_utc(now or utcnow())
    settings = quiz_settings(module_id)
    by_user: dict[int, list[Attempt]] = defaultdict(list)
    if user_ids:
        for attempt in db.session.scalars(
            select(Attempt).where(Attempt.module_id == module_id, Attempt.user_id.in_(list(user_ids)),
                                  Attempt.voided_at.is_(None)).order_by(Attempt.number)
        ):
            by_user[attempt.user_id].append(attempt)
    return {user_id: _status(by_user[user_id], settings, now) for user_id in user_ids}


# pytest collects module-level names starting with "test": these are services, not tests.
test_statuses.__test__ = False  # type: ignore[attr-defined]


def test_status(user_id: int, module_id: int,
                now: datetime | None = None,  # noqa: PT028 - a service named in contracts.md, not a test
                ) -> TestStatus:
    return test_statuses([user_id], module_id, now)[user_id]


test_status.__test__ = False  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Missing:
    """One thing a learner still needs before the test: ``what`` is access | certificate | completion | offered."""

    what: str
    message: str
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Eligibility:
    missing: tuple[Missing, ...]

    @property
    def allowed(self) -> bool:
        return not self.missing


def may_sit(user: Member, module: Module) -> Eligibility:
    """May ``user`` (logged in) sit ``module``'s test, and if not, exactly what is missing."""
    missing: list[Missing] = []
    if not module.offers_certificate:
        return Eligibility((Missing("offered", "This module does not offer a CE test or certificate."),))
    if not has_access(user, module.id):
        missing.append(Missing("access", "You need access to this module.",
                               (Link("See prices and buy access", url_for("catalog.module", slug=module.slug)),)))
    if not has_entitlement(user, module.id, "certificate"):
        missing.append(Missing(
            "certificate", "The CE test and certificate are an add-on you have not bought yet.",
            (Link("Buy the test and certificate", url_for("billing.checkout", slug=module.slug,
                                                          tier_code="certificate")),)))
    progress = completion(user.id, module)
    if not progress.complete:
        todo = [lecture for lecture in progress.lectures if not lecture.complete]
        missing.append(Missing(
            "completion",
            f"Finish every lecture first: {len(todo)} of {len(progress.lectures)} still to complete "
            f"(a lecture counts once you have watched nearly all of it).",
            tuple(Link(f"{lecture.title} ({lecture.percent_covered:.0f}% watched)",
                       url_for("learning.lecture", slug=module.slug, lecture_slug=lecture.slug)) for lecture in todo),
        ))
    return Eligibility(tuple(missing))
