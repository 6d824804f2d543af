"""Demo accounts for a local installation, created by ``flask demo load`` and listed in the README.

Their passwords are public, so the command refuses to run in production.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from coursesite.accounts import passwords
from coursesite.accounts.addresses import user_by_email
from coursesite.accounts.models import User
from coursesite.accounts.profile import Profile
from coursesite.billing.access import access_ends, grant_entitlement
from coursesite.catalog.models import Lecture, Module
from coursesite.extensions import db
from coursesite.models_base import utcnow
from coursesite.organizations.models import Organization, OrganizationMember, Seat, SeatLicence
from coursesite.organizations.services import create_licence, new_nonce, seat_entitlement
from coursesite.text import validated_email

if TYPE_CHECKING:
    from coursesite.assessment.models import Attempt

ACCESS_DAYS = 365
# The demo learner's access began a month ago, so the lectures they watched since (demo_progress) fall inside it.
ACCESS_STARTED_AGO = timedelta(days=30)


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    role: str
    profile: Profile
    access_to_every_module: bool = False


DEMO_ACCOUNTS = (
    DemoAccount("learner@demo.example.org", "learner-demo-passphrase", "learner",
                Profile("Zoë Łukasiewicz-Ōtsuka", "Clinical psychologist", "PSY 042917", "California"),
                access_to_every_module=True),
    DemoAccount("editor@demo.example.org", "editor-demo-passphrase", "editor",
                Profile("Idris Abernethy", "Programme editor")),
    DemoAccount("admin@demo.example.org", "admin-demo-passphrase", "admin",
                Profile("Wen Okonkwo-Hale", "Site administrator")),
    DemoAccount("institution@demo.example.org", "institution-demo-passphrase", "learner",
                Profile("Marguerite Osei-Brandt", "Training director")),
)
LEARNER_EMAIL = "learner@demo.example.org"
INSTITUTION_ADMIN_EMAIL = "institution@demo.example.org"
ORGANIZATION_NAME = "Northfield Counselling Centre"
LICENCE_MODULE = "advances-in-relational-psychotherapy"
LICENCE_SEATS = 6
INVITED_COLLEAGUE = "colleague@demo.example.org"


def load_demo_accounts() -> list[str]:
    """Create the demo accounts that are missing and give the learner a year's access and the certificate add-on
    for every published module; running it again changes nothing. Returns what it did, one line per change."""
    done = []
    users: dict[str, User] = {}
    for account in DEMO_ACCOUNTS:
        user = user_by_email(account.email)
        if user is None:
            user = _create(account)
            done.append(f"created {account.role} {account.email}")
        if account.access_to_every_module:
            done += _give_access(user)
        users[account.email] = user
    done += _organization(users[INSTITUTION_ADMIN_EMAIL], users[LEARNER_EMAIL])
    db.session.commit()
    done += demo_progress(users[LEARNER_EMAIL])
    done += demo_notes(users[LEARNER_EMAIL])
    done += demo_certificate(users[LEARNER_EMAIL])
    return done


def _create(account: DemoAccount) -> User:
    user = User(email=validated_email(account.email), password_hash=passwords.hash_password(account.password),
                role=account.role, confirmed_at=utcnow())
    account.profile.cleaned().apply_to(user)
    db.session.add(user)
    db.session.flush()
    return user


def _give_access(user: User) -> list[str]:
    done = []
    for module in db.session.scalars(select(Module).where(Module.published.is_(True)).order_by(Module.title)):
        for kind in ("access", "certificate"):
            if access_ends(user.id, module.id, kind) is None:
                grant_entitlement(user.id, module.id, kind=kind, days=ACCESS_DAYS, source="grant",
                                  source_ref="demo", now=utcnow() - ACCESS_STARTED_AGO)
                done.append(f"granted {kind} to {module.slug} for {user.email}")
    return done


def _licence_module() -> Module | None:
    """The demo licence's module; with other content (tests), the first published module."""
    published = select(Module).where(Module.published.is_(True))
    return (db.session.scalar(published.where(Module.slug == LICENCE_MODULE))
            or db.session.scalar(published.order_by(Module.title).limit(1)))


def _organization(admin: User, learner: User) -> list[str]:
    """Northfield Counselling Centre: the institution admin runs it; a 6-seat licence (no order: source "demo")
    with the demo learner seated and a colleague invited."""
    done = []
    organization = db.session.scalar(select(Organization).where(Organization.name == ORGANIZATION_NAME,
                                                                Organization.kind == "institution"))
    if organization is None:
        organization = Organization(name=ORGANIZATION_NAME, kind="institution")
        db.session.add(organization)
        done.append(f"created organisation {ORGANIZATION_NAME}")
    if db.session.scalar(select(OrganizationMember).where(OrganizationMember.organization == organization,
                                                          OrganizationMember.user_id == admin.id)) is None:
        db.session.add(OrganizationMember(organization=organization, user_id=admin.id, role="admin"))
        done.append(f"created admin membership of {admin.email}")
    module = _licence_module()
    if module is None:
        return done
    db.session.flush()
    licence = db.session.scalar(select(SeatLicence).where(SeatLicence.organization_id == organization.id,
                                                          SeatLicence.module_id == module.id,
                                                          SeatLicence.source == "demo"))
    if licence is None:
        licence = create_licence(organization, module.id, LICENCE_SEATS, utcnow(), ACCESS_DAYS, source="demo")
        done.append(f"created a {LICENCE_SEATS}-seat licence for {module.slug}")
    seats = {seat.email: seat for seat in db.session.scalars(select(Seat).where(Seat.licence_id == licence.id))}
    if learner.email not in seats:
        now = utcnow()
        seat = Seat(licence=licence, email=learner.email, user_id=learner.id, status="active",
                    invitation_nonce=new_nonce(), invited_at=now, sent_at=now, accepted_at=now)
        db.session.add(seat)
        db.session.flush()
        seat_entitlement(seat, now)
        done.append(f"created seat of {learner.email}")
    if INVITED_COLLEAGUE not in seats:
        db.session.add(Seat(licence=licence, email=INVITED_COLLEAGUE, status="invited",
                            invitation_nonce=new_nonce(), invited_at=utcnow()))
        done.append(f"created invitation of {INVITED_COLLEAGUE}")
    return done


# The demo learner's attendance (H5): one module finished three weeks ago, another under way. ---------------------

FINISHED_MODULE = "interpersonal-dynamics-in-clinical-teams"  # every lecture complete
PARTIAL_MODULE = "advances-in-relational-psychotherapy"  # the first lectures complete, the next one half-watched
REPORT_EVERY_SECONDS = 10.0  # as the player reports


def demo_modules() -> tuple[Module | None, Module | None]:
    """(finished, under way): the modules above; with other content (tests), the first two published by title."""
    published = list(db.session.scalars(select(Module).where(Module.published.is_(True)).order_by(Module.title)))
    by_slug = {module.slug: module for module in published}
    finished = by_slug.get(FINISHED_MODULE) or (published[1] if len(published) > 1 else None)
    partial = by_slug.get(PARTIAL_MODULE) or next((module for module in published if module is not finished), None)
    return finished, partial


def demo_progress(learner: User) -> list[str]:
    """Play the demo learner's lectures through the attendance service, as the player would have reported them
    (every ten seconds, at normal speed, in evening sessions): the finished module over a week three weeks ago, the
    other one over the last ten days, its last lecture left half-way two days ago. A module the learner has played
    anything of is left as it is, so running it again changes nothing."""
    from coursesite.learning.progress import completion

    done = []
    finished, partial = demo_modules()
    today = utcnow().replace(hour=19, minute=30, second=0, microsecond=0)
    plans: list[tuple[Module | None, datetime, int | None]] = [
        (finished, today - timedelta(days=24), None),  # every lecture, one evening each
        (partial, today - timedelta(days=10), 3),  # three lectures, then half of the fourth
    ]
    for module, first_evening, complete_count in plans:
        if module is None or completion(learner.id, module).resume is not None:
            continue
        lectures = list(module.lectures)
        count = len(lectures) if complete_count is None else max(0, min(complete_count, len(lectures) - 1))
        evenings = list(_evenings(first_evening, len(lectures)))
        for lecture, evening in zip(lectures[:count], evenings, strict=False):
            _play(learner, lecture, evening, 1.0)
        if count < len(lectures):
            _play(learner, lectures[count], today - timedelta(days=2), 0.5)
        state = "finished" if count == len(lectures) else f"{count} of {len(lectures)} lectures complete"
        done.append(f"played {module.slug} for {learner.email} ({state})")
    return done


# The demo learner's own notes on the second lecture of the module under way (original writing): (share of the
# lecture where the note sits, text).
DEMO_NOTES = (
    (0.2, ("The point about both people shaping the session: compare with my Tuesday client who goes quiet when I "
           "summarise.")),
    (0.6, "Look up the reading on this in the bibliography before supervision on Friday."),
)


def demo_notes(learner: User) -> list[str]:
    """Two of the learner's private notes on the second lecture of the module under way, through the notes service;
    left as they are once the learner has any note in that module."""
    from coursesite.learning.notes import add_note, module_notes

    _finished, partial = demo_modules()
    if partial is None or len(partial.lectures) < 2:
        return []
    existing = module_notes(learner.id, partial.slug)
    if existing is not None and existing.count:
        return []
    lecture = partial.lectures[1]
    for share, text in DEMO_NOTES:
        add_note(learner.id, lecture, f"{lecture.duration_seconds * share:.0f}", text)
    return [f"wrote {len(DEMO_NOTES)} notes on {partial.slug}/{lecture.slug} for {learner.email}"]


def _evenings(first: datetime, count: int) -> Iterator[datetime]:
    """One evening per lecture, skipping every third day (nobody studies every night)."""
    day = first
    for _ in range(count):
        yield day
        day += timedelta(days=2 if (day - first).days % 3 == 2 else 1)


def _play(learner: User, lecture: Lecture, start: datetime, share: float) -> None:
    """Report ``share`` of ``lecture`` played from its start at ``start``, ten seconds per report."""
    from coursesite.learning.progress import Report, record_report

    end = lecture.duration_seconds * share
    position = 0.0
    while position < end:
        step = min(REPORT_EVERY_SECONDS, end - position)
        record_report(learner.id, lecture, Report(intervals=[(position, position + step)], position=position + step,
                                                  rate=1.0, visible=True),
                      now=start + timedelta(seconds=position + step))
        position += step


# The demo learner's CE test and certificate (H9): one certificate issued, one module ready for its test. ---------

CERTIFIED_MODULE = "what-makes-therapists-effective"  # watched last week, test passed and evaluated on loading
# FINISHED_MODULE (every lecture complete three weeks ago, the certificate add-on held) is left ready for its test.
EVALUATION_COMMENTS = ("The lecture on feedback-informed practice made me start rating the alliance at the end of "
                       "every session. I would have liked one more worked example of a deliberate practice plan.")


def certified_module() -> Module | None:
    """The module the demo learner holds a certificate for; with other content (tests), the first published module
    with a certificate and test questions that ``demo_modules`` does not use."""
    from coursesite.assessment.models import Question

    published = select(Module).where(Module.published.is_(True), Module.offers_certificate.is_(True))
    module = db.session.scalar(published.where(Module.slug == CERTIFIED_MODULE))
    if module is not None:
        return module
    taken = [used.id for used in demo_modules() if used is not None]
    with_questions = select(Question.module_id).where(Question.active.is_(True))
    return db.session.scalar(published.where(Module.id.not_in(taken), Module.id.in_(with_questions))
                             .order_by(Module.title).limit(1))


def demo_certificate(learner: User) -> list[str]:
    """The certified module, the real way: its lectures played over the last week (one evening each, the last
    one yesterday), its test sat and passed in the half hour before loading, through the attempt services (one
    answer wrong when the pass mark allows it), then the course evaluation saved, which issues the certificate
    (``evaluation_saved`` → the certificates package). Each step runs only when the learner has not reached it
    yet, so running it again changes nothing and never issues a second certificate."""
    from coursesite.assessment.evaluation import evaluation_of
    from coursesite.assessment.services import test_status
    from coursesite.billing.access import has_entitlement
    from coursesite.learning.progress import completion

    module = certified_module()
    if module is None:
        return []
    done = []
    if completion(learner.id, module).resume is None:
        _play_module(learner, module)
        done.append(f"played {module.slug} for {learner.email} (finished)")
    status = test_status(learner.id, module.id)
    if (status.state == "not_started" and completion(learner.id, module).complete
            and has_entitlement(learner, module.id, "certificate")):
        attempt = _sit_test(learner, module)
        done.append(f"passed the test of {module.slug} for {learner.email} ({attempt.score}%)")
        status = test_status(learner.id, module.id)
    if status.passed_attempt_id is not None and evaluation_of(status.passed_attempt_id) is None:
        code = _evaluate(learner, module)
        done.append(f"evaluated {module.slug} for {learner.email} and issued its certificate "
                    f"(verification page: /certificates/verify/{code})")
    return done


def _play_module(learner: User, module: Module) -> None:
    """Every lecture, one evening each at nine, the last one yesterday."""
    lectures = list(module.lectures)
    if not lectures:
        return
    yesterday = utcnow().replace(hour=21, minute=0, second=0, microsecond=0) - timedelta(days=1)
    evenings = list(_evenings(yesterday, len(lectures)))
    span = evenings[-1] - evenings[0]
    for lecture, evening in zip(lectures, _evenings(yesterday - span, len(lectures)), strict=True):
        _play(learner, lecture, evening, 1.0)


SECONDS_PER_ANSWER = 80  # a careful reader: well over a minute a question


def _sit_test(learner: User, module: Module) -> Attempt:
    """Start the test 25 minutes ago, answer one question at a time and submit, through the attempt services."""
    from coursesite.assessment.attempts import save_answer, score_of, start_attempt, submit_attempt
    from coursesite.assessment.models import Choice

    started = utcnow().replace(microsecond=0) - timedelta(minutes=25)
    attempt = start_attempt(learner.id, module.id, now=started)
    items = sorted(attempt.questions, key=lambda item: item.position)
    # Realistic rather than perfect: the last answer wrong when the score still passes.
    wrong = 1 if score_of([True] * (len(items) - 1) + [False]) >= attempt.pass_percent else 0
    correct_ids = set(db.session.scalars(select(Choice.id).where(
        Choice.question_id.in_([item.question_id for item in items]), Choice.correct.is_(True))))
    at = started
    for index, item in enumerate(items):
        right = index < len(items) - wrong
        choice_id = next(choice_id for choice_id in item.choice_order if (choice_id in correct_ids) == right)
        at += timedelta(seconds=SECONDS_PER_ANSWER)
        save_answer(learner.id, attempt.id, item.question_id, choice_id, now=at)
    graded = submit_attempt(learner.id, attempt.id, now=at + timedelta(seconds=45))
    if not graded.passed:  # the demo content's own test: a failure here is a bug in the content or the grading
        raise RuntimeError(f"the demo learner's attempt at {module.slug} scored {graded.score}% and did not pass")
    return graded


def _evaluate(learner: User, module: Module) -> str:
    """Save the course evaluation (which issues the certificate in the same transaction), commit, and return the
    certificate's code."""
    from coursesite.assessment.evaluation import Answers, items_of, module_for_evaluation, save_evaluation
    from coursesite.certificates.services import certificates_for_users

    found = module_for_evaluation(module.slug)
    if found is None:
        raise LookupError(module.slug)
    items = items_of(found)
    ratings = {item.key: 5 for item in [*items.objectives, *items.speakers]}
    ratings |= {item.key: 4 if index % 3 == 2 else 5 for index, item in enumerate(items.lectures)}
    save_evaluation(learner.id, found, Answers(ratings=ratings, relevance=5, free_of_commercial_bias=True, overall=5,
                                               comments=EVALUATION_COMMENTS))
    db.session.commit()
    return certificates_for_users([learner.id], module.id)[learner.id].code
