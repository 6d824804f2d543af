"""A refund of seats shrinks the licence and revokes the seats beyond it: pending invitations first (newest invited
first), then learners (newest accepted first), with their access."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from coursesite.accounts.models import AuditEvent
from coursesite.billing.access import has_access
from coursesite.extensions import db
from coursesite.organizations.models import SeatLicence
from tests.billing.test_refunds import paid, refund
from tests.factories import make_user, module_id
from tests.organizations.test_invitations import accept_path
from tests.stripe_stub import app_settings
from tests.support import invite, login_as, only, post_form, seats


@pytest.fixture
def app_overrides(stripe_server) -> dict:
    return app_settings(stripe_server.url)


def take_seat(app, mailbox, email: str):
    person = make_user(email)
    path = accept_path(mailbox, email)
    assert post_form(login_as(app, person), path, {}, path).status_code == 302
    return person


def test_refunding_seats_revokes_pending_invitations_before_learners(app, buyer_client, stub, mailbox,
                                                                     sample_module):
    charge = paid(buyer_client, stub, "institutional", quantity="8", organisation_name="Northfield")
    licence = only(SeatLicence)
    organization = licence.organization
    for number in range(1, 9):  # one at a time, so each was invited later than the one before
        assert invite(buyer_client, organization, licence, f"p{number}@example.org").status_code == 302
    # p8 (invited last) accepts first, p1 (invited first) accepts last: the newest *accepted* is p1.
    eighth = take_seat(app, mailbox, "p8@example.org")
    first = take_seat(app, mailbox, "p1@example.org")

    # Two seats back: the two newest pending invitations go, nobody who is learning.
    assert refund(app, stub, charge, 2 * 13500).status_code == 200
    assert only(SeatLicence).seats == 6
    state = seats()
    assert sorted(email for email, status in state.items() if status == "revoked") == ["p6@example.org",
                                                                                        "p7@example.org"]
    assert has_access(first, module_id()) and has_access(eighth, module_id())
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "organizations.licence_reduced")) == 1

    # Five more (one seat kept): every pending invitation, then the newest accepted learner (p1, not p8).
    assert refund(app, stub, charge, 5 * 13500).status_code == 200
    assert only(SeatLicence).seats == 1
    assert {email for email, status in seats().items() if status != "revoked"} == {"p8@example.org"}
    assert has_access(eighth, module_id()) and not has_access(first, module_id())

    # The rest of the money back ends every seat.
    refund(app, stub, charge)
    assert only(SeatLicence).seats == 0
    assert set(seats().values()) == {"revoked"} and not has_access(eighth, module_id())
    page = buyer_client.get(f"/organizations/{organization.id}").get_data(as_text=True)
    assert "no current licence with seats" in page


def test_a_refund_within_the_free_seats_revokes_nobody(app, buyer_client, stub, mailbox, sample_module):
    charge = paid(buyer_client, stub, "institutional", quantity="8", organisation_name="Northfield")
    licence = only(SeatLicence)
    invite(buyer_client, licence.organization, licence, "a@example.org\nb@example.org")
    refund(app, stub, charge, 4 * 13500)
    assert only(SeatLicence).seats == 4
    assert seats() == {"a@example.org": "invited", "b@example.org": "invited"}
