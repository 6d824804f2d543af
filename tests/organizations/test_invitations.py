"""Inviting by email, accepting with the invited address, resending and revoking; access lasts as the licence does."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select

from coursesite.accounts.models import AuditEvent
from coursesite.billing.access import has_access
from coursesite.billing.models import Entitlement
from coursesite.extensions import db
from coursesite.models_base import as_utc
from coursesite.organizations.models import Seat
from tests.factories import make_user, module_id
from tests.support import csrf_token, dashboard_url, invite, login_as, only, post_form, seats


def accept_path(mailbox, email: str) -> str:
    message = mailbox.last_to(email)
    return urlsplit(message.link_to("/organizations/invitations/")).path


def audit_count(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_invite_accept_and_access_until_the_licence_ends(app, buyer_client, licensed, mailbox):
    organization, licence = licensed
    response = invite(buyer_client, organization, licence, "Bob@Example.ORG\n\ncarol@example.org")
    assert response.status_code == 302
    assert seats() == {"bob@example.org": "invited", "carol@example.org": "invited"}
    message = mailbox.last_to("bob@example.org")
    assert message.subject == "Northfield Counselling Centre invites you to A Sample Module"
    assert "14 days" in message.text and "/organizations/invitations/" in message.html
    path = accept_path(mailbox, "bob@example.org")

    # A visitor sees what the invitation offers and is asked to log in.
    visitor = app.test_client()
    page = visitor.get(path)
    assert page.status_code == 200 and "Log in to accept" in page.get_data(as_text=True)
    assert visitor.post(path, data={"csrf_token": "forged"}).status_code == 400

    bob = make_user("bob@example.org", full_name="Bob Example")
    other = make_user("dave@example.org")
    bob_client = login_as(app, bob)
    assert "Accept the seat" in bob_client.get(path).get_data(as_text=True)
    accepted = post_form(bob_client, path, {}, path)
    assert accepted.status_code == 302 and accepted.location == "/modules/sample-module"
    assert seats()["bob@example.org"] == "active"
    entitlement = only(Entitlement)
    assert (entitlement.source, entitlement.source_ref) == ("seat", f"seat:{only_seat('bob@example.org').id}")
    ends = as_utc(licence.valid_until)
    assert as_utc(entitlement.valid_until) == ends
    assert has_access(bob, module_id()) and has_access(bob, module_id(), at=ends - timedelta(seconds=1))
    assert not has_access(bob, module_id(), at=ends + timedelta(seconds=1))
    assert not has_access(other, module_id())
    assert bob_client.get("/modules/sample-module/lectures/in-conversation").status_code == 200
    assert login_as(app, other).get("/modules/sample-module/lectures/in-conversation").status_code != 200
    # The link is used up.
    again = bob_client.get(path)
    assert again.status_code == 400 and "already been accepted" in again.get_data(as_text=True)
    assert audit_count("organizations.seat_invited") == 2 and audit_count("organizations.seat_accepted") == 1
    dashboard = buyer_client.get(dashboard_url(organization)).get_data(as_text=True)
    assert "Bob Example" in dashboard and "Active" in dashboard and "carol@example.org" in dashboard
    assert "<td>2</td>" in dashboard  # seats free
    mine = bob_client.get("/organizations").get_data(as_text=True)
    assert "Your seats" in mine and "A Sample Module" in mine


def only_seat(email: str) -> Seat:
    db.session.expire_all()
    return db.session.scalar(select(Seat).where(Seat.email == email))


def test_accepting_with_another_logged_in_address_is_refused(app, buyer_client, licensed, mailbox):
    organization, licence = licensed
    invite(buyer_client, organization, licence, "bob@example.org")
    path = accept_path(mailbox, "bob@example.org")
    mallory = make_user("mallory@example.org")
    client = login_as(app, mallory)
    page = client.get(path).get_data(as_text=True)
    assert "different email address" in page and "Accept the seat" not in page
    response = client.post(path, data={"csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 403 and "different email address" in response.get_data(as_text=True)
    assert seats() == {"bob@example.org": "invited"}
    assert not has_access(mallory, module_id())
    assert db.session.scalar(select(func.count()).select_from(Entitlement)) == 0


def test_bad_and_tampered_links_are_refused_clearly(app, buyer_client, licensed, mailbox):
    organization, licence = licensed
    invite(buyer_client, organization, licence, "bob@example.org")
    path = accept_path(mailbox, "bob@example.org")
    client = app.test_client()
    for bad in (path[:-3] + "abc", "/organizations/invitations/nonsense", "/organizations/invitations/%00",
                "/organizations/invitations/" + "a" * 3000):
        response = client.get(bad)
        assert response.status_code in (400, 404), (bad, response.status_code)


def test_resend_replaces_the_link_and_revoke_frees_the_seat(app, buyer_client, licensed, mailbox):
    organization, licence = licensed
    invite(buyer_client, organization, licence, "bob@example.org\ncarol@example.org")
    first = accept_path(mailbox, "bob@example.org")
    seat = only_seat("bob@example.org")
    resent = post_form(buyer_client, f"/organizations/{organization.id}/seats/{seat.id}/resend", {},
                       dashboard_url(organization))
    assert resent.status_code == 302 and len(mailbox.to("bob@example.org")) == 2
    second = accept_path(mailbox, "bob@example.org")
    assert first != second
    assert app.test_client().get(first).status_code == 400  # the older link stopped working
    bob = make_user("bob@example.org")
    bob_client = login_as(app, bob)
    assert post_form(bob_client, second, {}, second).status_code == 302
    assert has_access(bob, module_id())

    revoked = post_form(buyer_client, f"/organizations/{organization.id}/seats/{seat.id}/revoke", {},
                        dashboard_url(organization))
    assert revoked.status_code == 302
    assert seats()["bob@example.org"] == "revoked" and not has_access(bob, module_id())
    # Resending or revoking a revoked seat says why, never a 500.
    for action in ("resend", "revoke"):
        response = post_form(buyer_client, f"/organizations/{organization.id}/seats/{seat.id}/{action}", {},
                             dashboard_url(organization), follow_redirects=True)
        assert response.status_code == 200
    # The seat is free again: four more fit (carol + three), and bob can be invited again.
    assert invite(buyer_client, organization, licence, "d@example.org\ne@example.org\nbob@example.org").status_code \
        == 302
    assert seats() == {"bob@example.org": "invited", "carol@example.org": "invited", "d@example.org": "invited",
                       "e@example.org": "invited"}
    assert audit_count("organizations.seat_invitation_resent") == 1
    assert audit_count("organizations.seat_revoked") == 1


def test_duplicates_and_people_already_seated_are_reported_not_doubled(app, buyer_client, licensed, mailbox):
    organization, licence = licensed
    invite(buyer_client, organization, licence, "bob@example.org")
    mailbox.clear()
    response = invite(buyer_client, organization, licence, "carol@example.org, CAROL@example.org; bob@example.org")
    assert response.status_code == 302
    page = buyer_client.get(dashboard_url(organization)).get_data(as_text=True)
    assert "carol@example.org is also on line 1; invited once" in page
    assert "bob@example.org is already invited" in page
    assert seats() == {"bob@example.org": "invited", "carol@example.org": "invited"}
    assert [m.envelope_to for m in mailbox.received] == [["carol@example.org"]]
    # Many duplicates: a few lines and a count (flashed messages must fit in the session cookie).
    response = invite(buyer_client, organization, licence, "bob@example.org\n" * 40)
    page = buyer_client.get(dashboard_url(organization)).get_data(as_text=True)
    assert response.status_code == 302 and "and 30 more addresses" in page
    assert "<script>" not in page and ' style="' not in page


def test_never_more_invitations_than_free_seats(app, buyer_client, licensed, mailbox):
    organization, licence = licensed
    invite(buyer_client, organization, licence, "a@example.org\nb@example.org")
    mailbox.clear()
    response = invite(buyer_client, organization, licence, "c@example.org\nd@example.org\ne@example.org")
    assert response.status_code == 422
    assert "This licence has 2 free seats, but the list has 3 new addresses" in response.get_data(as_text=True)
    assert set(seats()) == {"a@example.org", "b@example.org"} and mailbox.received == []


def test_bad_addresses_in_the_list_change_nothing(app, buyer_client, licensed, mailbox):
    organization, licence = licensed
    response = invite(buyer_client, organization, licence, "ok@example.org\n\n\nbob@\nnot an address")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "line 4: &#39;bob@&#39; is not a valid email address" in page
    assert "line 5: &#39;not&#39; is not a valid email address" in page
    assert seats() == {} and mailbox.received == []
    too_many = "\n".join(f"p{number}@example.org" for number in range(1001))
    response = invite(buyer_client, organization, licence, too_many)
    assert response.status_code == 422 and "more than 1,000" in response.get_data(as_text=True)
    for data in ({"licence": "abc", "addresses": "x@example.org"}, {"licence": "99999", "addresses": "x@example.org"},
                 {"addresses": "x@example.org"}, {"licence": str(licence.id)},
                 {"licence": str(licence.id), "addresses": "a\x00b@example.org"}):
        response = post_form(buyer_client, f"/organizations/{organization.id}/invite", data,
                             dashboard_url(organization))
        # (a NUL byte may be refused before the form sees it: 400; never a 500)
        expected = (400, 422) if any("\x00" in value for value in data.values()) else (422,)
        assert response.status_code in expected, data
    assert seats() == {}


def test_the_dashboard_shows_when_each_pending_link_expires(app, buyer_client, licensed, mailbox):
    organization, licence = licensed
    invite(buyer_client, organization, licence, "bob@example.org\ncarol@example.org")
    bob = only_seat("bob@example.org")
    expires = as_utc(bob.sent_at) + timedelta(days=14)
    page = buyer_client.get(dashboard_url(organization)).get_data(as_text=True)
    assert page.count(f"link valid until {expires.strftime('%-d %b %Y')}") == 2

    bob.sent_at = bob.sent_at - timedelta(days=15)
    db.session.commit()
    page = buyer_client.get(dashboard_url(organization)).get_data(as_text=True)
    assert "link expired" in page and "send it again" in page
    assert page.count("link valid until") == 1
