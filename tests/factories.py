"""Rows for tests, made directly in the database (inside the ``app`` fixture's app context) and committed.

Each factory builds the smallest valid row and takes keyword arguments for what a test cares about. They go through
the services where a service owns the rule (entitlements, licences), so a test never builds a state the site cannot.
"""
from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import select

from coursesite.accounts.models import User
from coursesite.accounts.passwords import hash_password
from coursesite.assessment.attempts import save_answer, start_attempt, submit_attempt
from coursesite.assessment.evaluation import Answers, items_of, module_for_evaluation, save_evaluation
from coursesite.assessment.models import Attempt, Choice, Evaluation
from coursesite.billing.access import grant_entitlement
from coursesite.billing.models import Entitlement
from coursesite.catalog.models import Lecture, Module
from coursesite.certificates.models import Certificate
from coursesite.certificates.services import issue_certificate
from coursesite.extensions import db
from coursesite.learning.intervals import length, merge
from coursesite.learning.models import LectureProgress
from coursesite.learning.progress import is_complete
from coursesite.models_base import utcnow
from coursesite.organizations.models import Organization, OrganizationMember, SeatLicence
from coursesite.organizations.services import create_licence

PASSWORD = "lantern orchard violet 42"
ZOE = "Zoë Łukasiewicz-Ōtsuka"
SAMPLE_MODULE = "sample-module"


@cache
def password_hash() -> str:
    """One hash for every test user: hashing is deliberately slow, and a salt shared in tests harms nobody."""
    return hash_password(PASSWORD)


def make_user(email: str = "learner@example.org", *, role: str = "learner", confirmed: bool = True,
              full_name: str = ZOE, **fields) -> User:
    """A user who can log in with ``PASSWORD``; ``confirmed=False`` leaves the address unconfirmed."""
    user = User(email=email, password_hash=password_hash(), full_name=full_name, profession="Psychologist",
                role=role, confirmed_at=utcnow() if confirmed else None, **fields)
    db.session.add(user)
    db.session.commit()
    return user


def module_id(slug: str = SAMPLE_MODULE) -> int:
    """The id of an imported module (the ``sample_module`` fixture imports the fixture module)."""
    return db.session.scalar(select(Module.id).where(Module.slug == slug))


def make_module(slug: str, title: str = "Another module", *, published: bool = True, ce_hours: float = 1.0,
                **fields) -> Module:
    """A module made in the database rather than imported from files; add lectures to it before committing more."""
    module = Module(slug=slug, title=title, published=published, ce_hours=ce_hours, **fields)
    db.session.add(module)
    db.session.commit()
    return module


def grant_access(user: User, module: int | Module | None = None, *, days: int = 365, source: str = "grant",
                 now: datetime | None = None) -> Entitlement | None:
    """Access to ``module`` (default: the sample module) for ``days``, as a staff grant unless ``source`` says."""
    target = module.id if isinstance(module, Module) else module or module_id()
    entitlement = grant_entitlement(user.id, target, kind="access", days=days, source=source, now=now)
    db.session.commit()
    return entitlement




def make_organisation(admin: User, name: str = "Northfield Counselling Centre", kind: str = "institution",
                      ) -> Organization:
    """An organisation whose admin is ``admin``."""
    organization = Organization(name=name, kind=kind)
    db.session.add(organization)
    db.session.flush()
    add_member(organization, admin, "admin")
    return organization


def add_member(organization: Organization, user: User, role: str = "instructor") -> OrganizationMember:
    member = OrganizationMember(organization_id=organization.id, user_id=user.id, role=role)
    db.session.add(member)
    db.session.commit()
    return member


def watch(user: User, lecture: Lecture, share: float = 1.0, *, at: datetime | None = None) -> LectureProgress:
    """``user`` has played the first ``share`` of ``lecture`` (written directly, as the reports would leave it): the
    row is complete when that reaches the completion share (0.9). ``at``: when it was played (default now)."""
    at = at or utcnow()
    covered = lecture.duration_seconds * max(0.0, min(1.0, share))
    row = db.session.scalar(select(LectureProgress).where(LectureProgress.user_id == user.id,
                                                          LectureProgress.lecture_id == lecture.id))
    if row is None:
        row = LectureProgress(user_id=user.id, lecture_id=lecture.id, intervals=[], covered_seconds=0.0,
                              last_position=0.0, furthest_position=0.0, seconds_on_task=0.0)
        db.session.add(row)
    union = merge([*row.intervals, [0.0, covered]])
    row.intervals = [[start, end] for start, end in union]
    row.covered_seconds = length(union)
    row.last_position = row.furthest_position = max(row.furthest_position, covered)
    row.seconds_on_task += covered
    row.first_played_at = row.first_played_at or at
    row.last_played_at = row.last_report_at = at
    if row.completed_at is None and is_complete(row.covered_seconds, lecture.duration_seconds):
        row.completed_at = at
    db.session.commit()
    return row


def pass_test(user: User, module: Module | int, *, score: int = 100) -> Attempt:
    """A graded, passed attempt of ``module``'s test by ``user``, through the attempt services (start, answers,
    submit; ``test_passed`` is sent): at least ``score`` per cent of its questions answered correctly. Gates (access,
    certificate, completion) are not checked: grant and ``watch`` what the test needs."""
    target = module.id if isinstance(module, Module) else module
    attempt = start_attempt(user.id, target)
    items = list(attempt.questions)
    right = -(-score * len(items) // 100)  # ceil
    for index, item in enumerate(items):
        choices = [db.session.get(Choice, choice_id) for choice_id in item.choice_order]
        pick = next(c for c in choices if c is not None and c.correct == (index < right))
        save_answer(user.id, attempt.id, item.question_id, pick.id)
    graded = submit_attempt(user.id, attempt.id)
    if not graded.passed:
        raise ValueError(f"a score of {graded.score} does not pass (pass mark {graded.pass_percent})")
    return graded


def certify(user: User, module: Module | int, *, attempt_id: int | None = None) -> Certificate:
    """A certificate of ``module`` issued to ``user`` now, through ``issue_certificate`` (snapshot, chain, mail),
    committed. Gates (test passed, evaluation) are not checked: ``pass_test`` first when a test needs the attempt."""
    target = module.id if isinstance(module, Module) else module
    certificate = issue_certificate(user.id, target, attempt_id)
    db.session.commit()
    return certificate


def evaluate(user: User, module: Module | int, *, rating: int = 4, overall: int = 5, relevance: int = 4,
             free_of_commercial_bias: bool = True, comments: str = "") -> Evaluation:
    """``user``'s course evaluation of ``module`` (every objective, lecture and speaker rated ``rating``), through
    ``save_evaluation``, committed: the passed attempt is required (``pass_test`` first), and the certificate is
    issued with it (``evaluation_saved``)."""
    found = module_for_evaluation(module.slug if isinstance(module, Module) else
                                  db.session.get_one(Module, module).slug)
    assert found is not None
    items = items_of(found)
    keys = [item.key for item in [*items.objectives, *items.lectures, *items.speakers]]
    evaluation = save_evaluation(user.id, found, Answers(dict.fromkeys(keys, rating), relevance,
                                                         free_of_commercial_bias, overall, comments))
    db.session.commit()
    return evaluation


def make_licence(organization: Organization, seats: int = 4, *, days: int = 365, slug: str = SAMPLE_MODULE,
                 source: str = "staff") -> SeatLicence:
    """A licence of ``seats`` seats from now on, as staff would create one (no order behind it)."""
    licence = create_licence(organization, module_id(slug), seats, utcnow(), days, source=source)
    db.session.commit()
    return licence

