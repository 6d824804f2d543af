"""Only an organisation's members see it (site admins too, read only); only its admins act. Others get a 404, every
POST needs its CSRF token, and the dashboard's query count does not grow with its seats."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import url_for
from sqlalchemy import func, select

from coursesite.accounts.models import AuditEvent
from coursesite.extensions import db
from coursesite.models_base import utcnow
from coursesite.organizations.models import OrganizationMember, Seat
from coursesite.organizations.services import new_nonce
from tests.factories import make_user
from tests.organizations.test_invitations import accept_path
from tests.support import csrf_token, dashboard_url, invite, login_as, post_form, seats


def organization_urls(app, organization, seat) -> list[tuple[str, str]]:
    """(method, url) of every route about one organisation, found in the url_map so new routes are checked too."""
    values = {"organization_id": organization.id, "seat_id": seat.id}
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/organizations/") or "organization_id" not in rule.arguments:
            continue
        unknown = rule.arguments - values.keys()
        assert not unknown, f"{rule.rule}: add sample values for {sorted(unknown)}"
        with app.test_request_context():
            url = url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})
        urls.extend((method, url) for method in sorted(rule.methods & {"GET", "POST"}))
    return urls


@pytest.fixture
def with_seat(buyer_client, licensed):
    organization, licence = licensed
    invite(buyer_client, organization, licence, "bob@example.org")
    seat = db.session.scalar(select(Seat))
    return organization, licence, seat


def send(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": csrf_token(client, "/account"), "licence": "1",
                                  "addresses": "x@example.org", "name": "Taken over"})


def test_non_members_get_404_on_every_organisation_url(app, with_seat):
    organization, _, seat = with_seat
    urls = organization_urls(app, organization, seat)
    assert len(urls) >= 6
    stranger = login_as(app, make_user("stranger@example.org"))
    instructor = make_user("instructor@example.org")
    db.session.add(OrganizationMember(organization_id=organization.id, user_id=instructor.id, role="instructor"))
    db.session.commit()
    staff = login_as(app, make_user("staff@example.org", role="admin"))
    instructor_client = login_as(app, instructor)
    for method, url in urls:
        assert send(stranger, method, url).status_code == 404, (method, url)
        if method == "POST":
            # Instructors and site admins look; they do not act.
            assert send(instructor_client, method, url).status_code == 404, (method, url)
            assert send(staff, method, url).status_code == 404, (method, url)
    for client in (instructor_client, staff):
        page = client.get(dashboard_url(organization))
        assert page.status_code == 200 and "bob@example.org" in page.get_data(as_text=True)
        assert "Invite people" not in page.get_data(as_text=True)
    assert seats() == {"bob@example.org": "invited"}
    # Unknown organisations and seats of another organisation are 404 for their admins too.
    assert stranger.get("/organizations/999999").status_code == 404
    visitor = app.test_client()
    for method, url in urls:
        response = visitor.get(url) if method == "GET" else visitor.post(url)
        assert response.status_code in (302, 400), (method, url)


def test_ids_too_large_for_the_database_are_404_not_500(app, buyer_client, with_seat):
    """SQLite cannot bind an int beyond 64 bits and PostgreSQL keys stop at 2**31 - 1: such ids are unknown ids."""
    organization, _, _ = with_seat
    for huge in ("2147483648", "9223372036854775808", "99999999999999999999"):
        assert buyer_client.get(f"/organizations/{huge}").status_code == 404
        assert buyer_client.get(f"/organizations/{organization.id}/seats/{huge}/revoke").status_code == 404
        for url in (f"/organizations/{huge}/invite", f"/organizations/{organization.id}/seats/{huge}/revoke",
                    f"/organizations/{organization.id}/seats/{huge}/resend"):
            response = post_form(buyer_client, url, {"licence": huge, "addresses": "x@example.org"},
                                 dashboard_url(organization))
            assert response.status_code == 404, url
    response = post_form(buyer_client, f"/organizations/{organization.id}/invite",
                         {"licence": "99999999999999999999", "addresses": "x@example.org"},
                         dashboard_url(organization))
    assert response.status_code == 422
    assert seats() == {"bob@example.org": "invited"}


def test_an_admin_cannot_touch_a_seat_of_another_organisation(app, buyer_client, with_seat, sample_module):
    _, _, seat = with_seat
    other_admin = make_user("other-admin@example.org")
    other_client = login_as(app, other_admin)
    from tests.support import pay_in_test_mode

    pay_in_test_mode(other_client, "institutional", 4)
    theirs = db.session.scalar(select(OrganizationMember.organization_id)
                               .where(OrganizationMember.user_id == other_admin.id))
    # Not even the revoke confirmation page shows another organisation's seat (nor its holder's address).
    assert other_client.get(f"/organizations/{theirs}/seats/{seat.id}/revoke").status_code == 404
    for action in ("revoke", "resend"):
        response = other_client.post(f"/organizations/{theirs}/seats/{seat.id}/{action}",
                                     data={"csrf_token": csrf_token(other_client, "/account")})
        assert response.status_code == 404
    assert seats() == {"bob@example.org": "invited"}


def test_every_post_without_a_csrf_token_is_refused(app, buyer_client, with_seat):
    organization, _, seat = with_seat
    for method, url in organization_urls(app, organization, seat):
        if method == "POST":
            for data in ({}, {"csrf_token": "forged"}):
                response = buyer_client.post(url, data=data)
                assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True), url
    assert seats() == {"bob@example.org": "invited"}


def add_seats(licence, count: int, start: int = 0) -> None:
    """Accepted seats, each holder with an entry in their security log (which the dashboard must not read)."""
    now = utcnow()
    for number in range(start, start + count):
        person = make_user(f"member{number}@example.org", full_name=f"Member {number}")
        db.session.add(Seat(licence_id=licence.id, email=person.email, user_id=person.id, status="active",
                            invitation_nonce=new_nonce(), invited_at=now - timedelta(days=3), accepted_at=now))
        db.session.add(AuditEvent(actor_id=person.id, action="account.login", target="", details={},
                                  at=now - timedelta(days=400)))
    licence.seats = max(licence.seats, start + count + 1)
    db.session.commit()


def test_dashboard_queries_are_bounded_and_do_not_grow_with_seats(app, buyer_client, licensed, count_queries):
    organization, licence = licensed
    licence = db.session.merge(licence)
    url = dashboard_url(organization)
    add_seats(licence, 3)
    with count_queries() as small:
        assert buyer_client.get(url).status_code == 200
    add_seats(licence, 30, start=3)
    with count_queries() as large:
        page = buyer_client.get(url)
    assert page.status_code == 200 and "Member 32" in page.get_data(as_text=True)
    assert large.count == small.count, large.statements
    # 7 for the page and its seats, and per licence 5 for the members' learning (organizations/progress.py): the
    # module's lectures, their progress, the quiz settings and attempts (Test), the certificates (Certificate).
    assert large.count <= 7 + 5, "\n".join(s[:150].replace("\n", " ") for s in large.statements)


def test_the_dashboard_shows_the_seats_own_dates_not_the_members_security_log(app, buyer_client, licensed,
                                                                              count_queries):
    """Logins and password changes are the member's, not their employer's: the audit log is never read here."""
    organization, licence = licensed
    add_seats(db.session.merge(licence), 2)
    with count_queries() as counter:
        page = buyer_client.get(dashboard_url(organization)).get_data(as_text=True)
    assert not [statement for statement in counter.statements if "audit_events" in statement.lower()]
    now = utcnow()
    invited, accepted, logged_in = (day(now - timedelta(days=3)), day(now), day(now - timedelta(days=400)))
    assert "<th scope=\"col\">Invited</th>" in page and "<th scope=\"col\">Accepted</th>" in page
    assert "Last activity" not in page
    assert f"<td>{invited}</td>" in page and f"<td>{accepted}</td>" in page and logged_in not in page


def day(moment) -> str:
    return moment.strftime("%-d %b %Y")


def test_audit_events_name_ids_not_addresses(app, buyer_client, with_seat):
    details = db.session.scalars(select(AuditEvent.details).where(AuditEvent.action.like("organizations.%"))).all()
    assert details and all("@" not in str(detail) for detail in details)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "organizations.seat_invited")) == 1


def test_the_account_navigation_links_organisations_for_members_and_seat_holders(app, mailbox, with_seat):
    """Seat holders find the organisation behind their seat at /organizations ("Your seats")."""
    bob = make_user("bob@example.org")
    bob_client = login_as(app, bob)
    assert 'href="/organizations"' not in bob_client.get("/account").get_data(as_text=True)  # only invited yet
    path = accept_path(mailbox, "bob@example.org")
    assert post_form(bob_client, path, {}, path).status_code == 302
    assert 'href="/organizations"' in bob_client.get("/account").get_data(as_text=True)
    mine = bob_client.get("/organizations").get_data(as_text=True)
    assert "Your seats" in mine and "Northfield Counselling Centre" in mine
    stranger = login_as(app, make_user("stranger@example.org"))
    assert 'href="/organizations"' not in stranger.get("/account").get_data(as_text=True)
