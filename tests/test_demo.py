"""`flask demo load`: content plus demo accounts, idempotent, refused in production."""
from __future__ import annotations

from sqlalchemy import func, select

from coursesite import create_app
from coursesite.accounts.models import User
from coursesite.billing.access import has_access, has_entitlement
from coursesite.billing.models import Entitlement
from coursesite.catalog.models import Module
from coursesite.demo import DEMO_ACCOUNTS
from coursesite.extensions import db
from coursesite.organizations.models import Organization, OrganizationMember, Seat, SeatLicence


def test_demo_load_imports_content_and_creates_accounts_once(app, runner):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "created learner learner@demo.example.org" in first.output
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0 and "created" not in second.output and "granted" not in second.output
    assert db.session.scalar(select(func.count()).select_from(User)) == len(DEMO_ACCOUNTS)
    module = db.session.scalar(select(Module))
    roles = dict(db.session.execute(select(User.email, User.role)).all())
    assert roles == {account.email: account.role for account in DEMO_ACCOUNTS}
    learner = db.session.scalar(select(User).where(User.email == "learner@demo.example.org"))
    assert has_access(learner, module.id) and has_entitlement(learner, module.id, "certificate")
    sources = dict(db.session.execute(select(Entitlement.source, func.count()).group_by(Entitlement.source)).all())
    assert sources == {"grant": 2, "seat": 1}  # the learner's grants, and their seat at the demo institution


def test_demo_institution_admin_runs_an_organisation_with_seats(app, runner):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    first = snapshot()
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0 and "created" not in second.output
    assert snapshot() == first
    admin = db.session.scalar(select(User).where(User.email == "institution@demo.example.org"))
    assert (admin.full_name, admin.profession, admin.role) == ("Marguerite Osei-Brandt", "Training director",
                                                               "learner")
    organization = db.session.scalar(select(Organization))
    assert (organization.name, organization.kind) == ("Northfield Counselling Centre", "institution")
    member = db.session.scalar(select(OrganizationMember))
    assert (member.organization_id, member.user_id, member.role) == (organization.id, admin.id, "admin")
    licence = db.session.scalar(select(SeatLicence))
    assert (licence.seats, licence.order_id, licence.source) == (6, None, "demo")
    seats = {seat.email: seat.status for seat in db.session.scalars(select(Seat))}
    assert seats == {"learner@demo.example.org": "active", "colleague@demo.example.org": "invited"}
    from coursesite.accounts.authentication import authenticate

    assert authenticate("institution@demo.example.org", "institution-demo-passphrase").id == admin.id


def snapshot() -> dict[str, int]:
    db.session.expire_all()
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (User, Organization, OrganizationMember, SeatLicence, Seat, Entitlement)}


def test_demo_accounts_can_log_in(app, runner, client):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    learner = DEMO_ACCOUNTS[0]
    from coursesite.accounts.authentication import authenticate

    assert authenticate(learner.email, learner.password).email == learner.email


def test_demo_load_is_refused_in_production(migrated):
    app = create_app("production", {"SECRET_KEY": "p" * 64, "SQLALCHEMY_DATABASE_URI": migrated})
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 1
    assert "does not run in production" in result.output


def test_the_demo_learner_has_finished_one_module_and_is_part_way_through_another(app, runner):
    """(H5) Played through the attendance service, on past evenings: a module finished weeks ago, and another under
    way whose Continue resumes the lecture left half-way. Loading again plays nothing more."""
    from datetime import timedelta

    from coursesite.demo import demo_modules
    from coursesite.learning.module_home import resume_point
    from coursesite.learning.progress import completion
    from coursesite.models_base import as_utc, utcnow
    from coursesite.synthetic import add_synthetic_modules

    add_synthetic_modules(1, lectures_per_module=4)  # the fixture content has one module; the demo needs two
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    learner = db.session.scalar(select(User).where(User.email == "learner@demo.example.org"))
    finished_module, partial_module = demo_modules()
    finished, partial = completion(learner.id, finished_module), completion(learner.id, partial_module)
    now = utcnow()

    assert finished.complete and finished.percent == 100.0
    assert now - timedelta(days=30) < finished.completed_at < now - timedelta(days=7)
    assert all(item.seconds_on_task > 0 for item in finished.lectures)
    assert len({item.first_played.date() for item in finished.lectures}) == len(finished.lectures)  # an evening each
    access_from = db.session.scalar(select(func.min(Entitlement.valid_from)).where(
        Entitlement.user_id == learner.id, Entitlement.module_id == finished_module.id, Entitlement.kind == "access"))
    assert all(item.first_played >= as_utc(access_from) for item in finished.lectures)  # watched while held

    assert not partial.complete and 0 < partial.percent < 100
    assert partial.completed_count == len(partial.lectures) - 1
    point = resume_point(partial)
    left = partial.lectures[-1]
    assert point.lecture_slug == left.slug and left.last_position == left.duration_seconds / 2
    assert now - timedelta(days=3) < left.last_played < now
    assert f"played {partial_module.slug} for learner@demo.example.org" in first.output

    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0 and "played" not in again.output
    assert completion(learner.id, partial_module) == partial


def test_the_demo_learner_has_private_notes_on_the_module_under_way(app, runner):
    from coursesite.demo import DEMO_NOTES, demo_modules
    from coursesite.learning.notes import module_notes
    from coursesite.synthetic import add_synthetic_modules

    add_synthetic_modules(1, lectures_per_module=4)
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    learner = db.session.scalar(select(User).where(User.email == "learner@demo.example.org"))
    _finished, partial = demo_modules()
    notes = module_notes(learner.id, partial.slug)
    assert notes is not None and notes.count == len(DEMO_NOTES)
    assert [group.lecture_slug for group in notes.lectures] == [partial.lectures[1].slug]
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0 and "notes" not in again.output
    assert module_notes(learner.id, partial.slug).count == len(DEMO_NOTES)


def test_the_demo_learner_holds_one_certificate_and_is_ready_for_another_test(app, runner):
    """(H9) On the demo catalogue: "What Makes Therapists Effective" watched last week, its test passed half an
    hour before and its evaluation saved, which issued the certificate (through the evaluation_saved receiver);
    "Interpersonal Dynamics in Clinical Teams" finished, the certificate add-on held, no attempt yet. Loading
    again sits no test, saves no evaluation and issues no second certificate."""
    from datetime import timedelta
    from pathlib import Path

    from coursesite.assessment.models import Attempt, Evaluation
    from coursesite.assessment.services import may_sit, test_status
    from coursesite.certificates.chain import record_intact
    from coursesite.certificates.models import Certificate
    from coursesite.certificates.services import certificates_of
    from coursesite.demo import CERTIFIED_MODULE, FINISHED_MODULE
    from coursesite.learning.progress import completion
    from coursesite.models_base import as_utc, utcnow

    app.config["CONTENT_ROOT"] = str(Path(__file__).resolve().parent.parent / "content")
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    learner = db.session.scalar(select(User).where(User.email == "learner@demo.example.org"))
    modules = {module.slug: module for module in db.session.scalars(select(Module))}
    certified, ready = modules[CERTIFIED_MODULE], modules[FINISHED_MODULE]
    now = utcnow()

    [certificate] = certificates_of(learner.id)
    attempt = db.session.get_one(Attempt, certificate.attempt_id)
    evaluation = db.session.scalar(select(Evaluation).where(Evaluation.attempt_id == attempt.id))
    assert (certificate.module_id, certificate.status, attempt.module_id) == (certified.id, "valid", certified.id)
    assert attempt.user_id == evaluation.user_id == learner.id
    assert attempt.status == "graded" and attempt.passed and attempt.pass_percent <= attempt.score < 100
    assert evaluation.comments and evaluation.free_of_commercial_bias
    assert certificate.snapshot["participant"]["name"] == "Zoë Łukasiewicz-Ōtsuka"
    assert certificate.snapshot["module"]["slug"] == CERTIFIED_MODULE and record_intact(certificate)
    assert f"/certificates/verify/{certificate.code}" in first.output
    watched = completion(learner.id, certified)
    assert watched.complete
    assert now - timedelta(days=10) < watched.lectures[0].first_played < now - timedelta(days=5)
    assert now - timedelta(days=2) < watched.completed_at < as_utc(attempt.started_at)  # the test came after
    assert as_utc(attempt.started_at) < as_utc(attempt.submitted_at) < as_utc(evaluation.created_at)
    assert as_utc(evaluation.created_at) <= as_utc(certificate.issued_at) + timedelta(seconds=1)
    assert as_utc(attempt.submitted_at) - as_utc(attempt.started_at) < timedelta(minutes=30)  # within its limit

    assert completion(learner.id, ready).complete
    assert test_status(learner.id, ready.id).state == "not_started"
    with app.test_request_context():
        assert may_sit(learner, ready).allowed

    counts = snapshot() | {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                           for model in (Attempt, Evaluation, Certificate)}
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0, again.output
    assert "passed" not in again.output and "issued" not in again.output and "played" not in again.output
    assert counts == snapshot() | {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                                   for model in (Attempt, Evaluation, Certificate)}
    assert [c.code for c in certificates_of(learner.id)] == [certificate.code]
