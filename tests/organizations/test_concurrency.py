"""Seats changed at the same moment, each request in its own thread (own app context, session and connection).

A short pause injected right after the rules read the database makes the race certain: without the locks and
conditional writes, both requests would decide on the same stale reading. On PostgreSQL the losers wait on the row
lock or see the row the winner wrote; on SQLite they wait for the single writer.
"""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from coursesite.billing.access import has_access
from coursesite.billing.models import Entitlement
from coursesite.extensions import db
from coursesite.organizations import services
from coursesite.organizations.models import OrganizationMember, Seat
from coursesite.organizations.services import ACCEPT_LOST, SeatError
from tests.billing.test_concurrency import all_at_once
from tests.factories import make_user, module_id
from tests.organizations.test_invitations import accept_path
from tests.support import csrf_token, dashboard_url, invite, login_as, post_form, seats

PAUSE = 0.3


def entitlements() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Entitlement.id)))


def seat_of(email: str) -> Seat:
    db.session.expire_all()
    return db.session.scalar(select(Seat).where(Seat.email == email))


@pytest.fixture
def invited(buyer_client, licensed, mailbox):
    """bob@example.org invited to the 4-seat licence; returns the organisation, the licence and the link's path."""
    organization, licence = licensed
    assert invite(buyer_client, organization, licence, "bob@example.org").status_code == 302
    return organization, licence, accept_path(mailbox, "bob@example.org")


def revoke_url(organization, seat: Seat) -> str:
    return f"/organizations/{organization.id}/seats/{seat.id}/revoke"


def test_a_revocation_after_the_page_loaded_refuses_the_acceptance(app, buyer_client, invited):
    organization, _, path = invited
    bob_client = login_as(app, make_user("bob@example.org"))
    token = csrf_token(bob_client, path)  # bob has the page with its Accept button
    assert post_form(buyer_client, revoke_url(organization, seat_of("bob@example.org")), {},
                     dashboard_url(organization)).status_code == 302
    response = bob_client.post(path, data={"csrf_token": token})
    assert response.status_code == 400 and "withdrawn" in response.get_data(as_text=True)
    assert seats() == {"bob@example.org": "revoked"} and entitlements() == 0


def test_a_revocation_while_the_acceptance_runs_wins(app, buyer_client, invited, monkeypatch):
    """The admin revokes between the moment ``accept`` read the seat as invited and the moment it writes."""
    organization, _, path = invited
    bob = make_user("bob@example.org")
    bob_client = login_as(app, bob)
    token = csrf_token(bob_client, path)
    admin_page = dashboard_url(organization)
    admin_token = csrf_token(buyer_client, admin_page)
    url = revoke_url(organization, seat_of("bob@example.org"))
    read = services._pending
    revoked: list[int] = []

    def read_then_revoke(link):
        found = read(link)
        if not revoked:  # once: the admin's request runs to its end in another thread while this one waits
            thread = threading.Thread(target=lambda: revoked.append(
                buyer_client.post(url, data={"csrf_token": admin_token}).status_code))
            thread.start()
            thread.join(timeout=30)
        return found

    monkeypatch.setattr(services, "_pending", read_then_revoke)
    response = bob_client.post(path, data={"csrf_token": token})
    assert revoked == [302]
    assert response.status_code == 403 and ACCEPT_LOST in response.get_data(as_text=True)
    assert seats() == {"bob@example.org": "revoked"} and entitlements() == 0
    assert not has_access(bob, module_id())


def test_two_acceptances_at_once_grant_one_entitlement(app, invited, monkeypatch):
    _, _, path = invited
    bob = make_user("bob@example.org")
    clients = [login_as(app, bob) for _ in range(2)]
    tokens = [csrf_token(client, path) for client in clients]
    read = services._pending

    def slow_read(link):
        found = read(link)
        time.sleep(PAUSE)  # both requests have read "invited" before either writes
        return found

    monkeypatch.setattr(services, "_pending", slow_read)
    responses = all_at_once(*[lambda client=client, token=token: client.post(path, data={"csrf_token": token})
                              for client, token in zip(clients, tokens, strict=True)])
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [302, 403], statuses
    refused = next(response for response in responses if response.status_code == 403)
    assert ACCEPT_LOST in refused.get_data(as_text=True)
    assert seats() == {"bob@example.org": "active"} and entitlements() == 1
    assert has_access(bob, module_id())


def test_an_acceptance_from_a_stale_reading_is_refused(app, invited):
    """Sequentially, with the seat read before another acceptance committed (as a request's session would hold it)."""
    _, _, path = invited
    bob = make_user("bob@example.org")
    bob_client = login_as(app, bob)  # before the reading: logging in commits, which would refresh it
    link = path.rsplit("/", 1)[1]
    stale = services.seat_for_token(link)  # this session now holds the seat as "invited"
    assert stale.status == "invited"
    assert post_form(bob_client, path, {}, path).status_code == 302  # another request accepts and commits
    with pytest.raises(SeatError, match="withdrawn or has already been used"):
        services.accept(link, bob)
    assert seats() == {"bob@example.org": "active"} and entitlements() == 1


def test_two_admins_inviting_at_once_never_exceed_the_seats(app, buyer_client, licensed, monkeypatch, mailbox):
    organization, licence = licensed
    second = make_user("second-admin@example.org")
    db.session.add(OrganizationMember(organization_id=organization.id, user_id=second.id, role="admin"))
    db.session.commit()
    other_client = login_as(app, second)
    page = dashboard_url(organization)
    url = f"/organizations/{organization.id}/invite"
    licence_id = str(licence.id)  # read here: the threads have no app context of their own outside requests
    tokens = [csrf_token(client, page) for client in (buyer_client, other_client)]
    count = services._used

    def slow_count(licence_id):
        used = count(licence_id)
        time.sleep(PAUSE)  # both would count the same free seats, were the count not serialised
        return used

    monkeypatch.setattr(services, "_used", slow_count)
    lists = ["a1@example.org\na2@example.org\na3@example.org", "b1@example.org\nb2@example.org\nb3@example.org"]
    responses = all_at_once(*[
        lambda client=client, token=token, addresses=addresses: client.post(
            url, data={"csrf_token": token, "licence": licence_id, "addresses": addresses})
        for client, token, addresses in zip((buyer_client, other_client), tokens, lists, strict=True)])
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [302, 422], statuses
    refused = next(response for response in responses if response.status_code == 422)
    assert "This licence has 1 free seat, but the list has 3 new addresses" in refused.get_data(as_text=True)
    assert len(seats()) == 3
