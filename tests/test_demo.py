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
