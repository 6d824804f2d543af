"""The organisation dashboard shows each seated member's learning on the licence's module: lectures completed and
percent (learning's completion rule), test status and certificate (through ``organization_member_columns``), and
never notes, playback positions, searches, answers or evaluations."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from coursesite.catalog.models import Lecture
from coursesite.certificates.models import Certificate
from coursesite.extensions import db
from coursesite.learning.models import Note
from coursesite.models_base import utcnow
from coursesite.organizations.models import Seat
from coursesite.organizations.services import new_nonce
from tests.factories import (
    evaluate,
    grant_access,
    make_licence,
    make_organisation,
    make_user,
    module_id,
    pass_test,
    watch,
)
from tests.support import dashboard_url, login_as


def seated(licence, email: str, name: str):
    person = make_user(email, full_name=name)
    db.session.add(Seat(licence_id=licence.id, email=email, user_id=person.id, status="active",
                        invitation_nonce=new_nonce(), invited_at=utcnow() - timedelta(days=2), accepted_at=utcnow()))
    db.session.commit()
    return person


@pytest.fixture
def organisation(app, sample_module):
    admin = make_user("head@example.org", full_name="Head of Training")
    organization = make_organisation(admin)
    licence = make_licence(organization, 4)
    return admin, organization, licence


def lectures() -> list[Lecture]:
    return list(db.session.scalars(select(Lecture).where(Lecture.module_id == module_id())
                                   .order_by(Lecture.position)))


def test_progress_test_status_and_certificate_per_member(app, organisation):
    admin, organization, licence = organisation
    starter = seated(licence, "starter@example.org", "Sam Starter")
    finisher = seated(licence, "finisher@example.org", "Fran Finisher")
    all_lectures = lectures()
    watch(starter, all_lectures[0], 0.95)
    for lecture in all_lectures:
        watch(finisher, lecture)
    grant_access(finisher)
    pass_test(finisher, module_id())
    evaluate(finisher, module_id(), comments="A private remark for the sponsor only.")
    html = login_as(app, admin).get(dashboard_url(organization)).get_data(as_text=True)
    assert '<th scope="col">Lectures completed</th>' in html and '<th scope="col">Test</th>' in html
    assert '<th scope="col">Certificate</th>' in html
    total = len(all_lectures)
    assert f"<td>1 of {total}</td>" in html and f"<td>{total} of {total}</td>" in html
    assert "100%" in html
    assert "Not started" in html  # the starter's test
    assert "Passed " in html  # the finisher's
    code = db.session.scalar(select(Certificate.code).where(Certificate.user_id == finisher.id))
    assert f'href="/certificates/verify/{code}"' in html and "CE hours" in html
    assert "A private remark" not in html  # never evaluations


def test_the_dashboard_never_shows_notes_positions_or_answers(app, organisation):
    admin, organization, licence = organisation
    member = seated(licence, "member@example.org", "Mo Member")
    for lecture in lectures():
        watch(member, lecture, 0.5)
    lecture = lectures()[0]
    db.session.add(Note(user_id=member.id, lecture_id=lecture.id, position=12.0, text="My secret note about the case"))
    db.session.commit()
    grant_access(member)
    attempt = pass_test(member, module_id(), score=100)
    html = login_as(app, admin).get(dashboard_url(organization)).get_data(as_text=True)
    row = html.split("member@example.org", 1)[1].split("</tr>", 1)[0]
    assert "50%" in row and "Passed " in row
    assert "secret note" not in html
    assert "12.0" not in row and "0:12" not in row  # neither the note's second nor a playback position
    assert f"{attempt.score}%" not in row  # the score, let alone answers
    for item in attempt.questions:
        assert item.question.prompt not in html
        assert all(choice.text not in html for choice in item.question.choices)


def test_invited_and_revoked_seats_show_no_learning(app, organisation):
    admin, organization, licence = organisation
    db.session.add(Seat(licence_id=licence.id, email="pending@example.org", status="invited",
                        invitation_nonce=new_nonce(), invited_at=utcnow()))
    db.session.commit()
    html = login_as(app, admin).get(dashboard_url(organization)).get_data(as_text=True)
    row = html.split("pending@example.org", 1)[1].split("</tr>", 1)[0]
    assert row.count("<td>—</td>") >= 4


def test_a_member_without_a_role_in_the_organisation_gets_404(app, organisation):
    _admin, organization, licence = organisation
    member = seated(licence, "member@example.org", "Mo Member")
    assert login_as(app, member).get(dashboard_url(organization)).status_code == 404
