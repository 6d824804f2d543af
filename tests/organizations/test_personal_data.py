"""A person's organisations and seats in their data download; deleting the account withdraws their invitations and
seats but leaves the organisation and its licence."""
from __future__ import annotations

import json

from sqlalchemy import select

from coursesite.billing.access import has_access
from coursesite.extensions import db
from coursesite.organizations.models import Organization, Seat, SeatLicence
from tests.factories import PASSWORD, make_user, module_id
from tests.organizations.test_invitations import accept_path
from tests.support import csrf_token, invite, login_as, only, post_form, seats


def test_export_lists_memberships_and_seats(app, buyer_client, licensed, mailbox):
    organization, licence = licensed
    invite(buyer_client, organization, licence, "bob@example.org\nbuyer@example.org")
    data = json.loads(buyer_client.get("/account/export").get_data(as_text=True))["organizations"]
    assert data["memberships"] == [{"organization": "Northfield Counselling Centre", "kind": "institution",
                                    "role": "admin", "since": data["memberships"][0]["since"]}]
    assert [(seat["email"], seat["status"]) for seat in data["seats"]] == [("buyer@example.org", "invited")]


def test_deleting_an_account_withdraws_its_invitations_and_seats(app, buyer_client, licensed, mailbox):
    organization, licence = licensed
    invite(buyer_client, organization, licence, "bob@example.org\ncarol@example.org")
    bob = make_user("bob@example.org")
    bob_client = login_as(app, bob)
    path = accept_path(mailbox, "bob@example.org")
    assert post_form(bob_client, path, {}, path).status_code == 302
    carol = make_user("carol@example.org")
    carol_client = login_as(app, carol)
    for client in (bob_client, carol_client):
        response = client.post("/account/delete", data={"current_password": PASSWORD, "understood": "y",
                                                        "csrf_token": csrf_token(client, "/account/delete")})
        assert response.status_code == 302
    db.session.expire_all()
    remaining = db.session.scalars(select(Seat)).all()
    assert [(seat.status, seat.email.endswith("@deleted.invalid"), seat.full_name) for seat in remaining] == [
        ("revoked", True, "")]
    assert not has_access(bob, module_id())
    assert only(Organization) and only(SeatLicence).seats == 4
    assert "bob@example.org" not in seats() and "carol@example.org" not in seats()
