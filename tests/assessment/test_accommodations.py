"""Accommodation requests: a learner's form (CSRF, size limits) reaches staff as a stored row, a mail and a list."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from coursesite.accounts.models import AuditEvent
from coursesite.assessment.models import AccommodationRequest
from coursesite.extensions import db
from tests.factories import SAMPLE_MODULE, grant_access, make_user
from tests.support import csrf_token, login_as, post_form, reload

FORM = f"/modules/{SAMPLE_MODULE}/accommodation"
NEEDS = "I use a screen reader and need 50% more time for the test, please."


@pytest.fixture
def learner(app, sample_module):
    user = make_user("asker@example.org", full_name="Tomasz Wiśniewski")
    grant_access(user)
    return user


@pytest.fixture
def admin(app):
    return make_user("admin@example.org", role="admin", full_name="Ada Administrator")


def requests() -> list[AccommodationRequest]:
    return list(db.session.scalars(select(AccommodationRequest)))


def test_the_test_page_links_to_the_form(app, learner):
    html = login_as(app, learner).get(f"/modules/{SAMPLE_MODULE}/test").get_data(as_text=True)
    assert f'href="{FORM}"' in html


def test_a_request_is_stored_and_mailed_to_the_admins_without_its_text(app, learner, admin, mailbox):
    response = post_form(login_as(app, learner), FORM, {"needs": NEEDS})
    assert response.status_code == 302
    [stored] = requests()
    assert (stored.user_id, stored.needs, stored.status) == (learner.id, NEEDS, "open")
    [message] = mailbox.to("admin@example.org")
    assert "Accommodation request" in message.subject
    assert "asker@example.org" in message.text and "/staff/accommodations" in message.text
    assert "screen reader" not in message.text and "screen reader" not in message.html


def test_a_configured_support_address_gets_the_mail_instead(app, learner, admin, mailbox):
    app.config["SUPPORT_EMAIL"] = "support@example.org"
    post_form(login_as(app, learner), FORM, {"needs": NEEDS})
    assert len(mailbox.to("support@example.org")) == 1
    assert mailbox.to("admin@example.org") == []


@pytest.mark.parametrize(("needs", "message"), [("", "Describe the accommodation you need."),
                                                ("short", "Between 10 and 2000 characters"),
                                                ("x" * 2001, "Between 10 and 2000 characters")])
def test_empty_short_or_long_requests_are_refused(app, learner, admin, mailbox, needs, message):
    response = post_form(login_as(app, learner), FORM, {"needs": needs})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert requests() == [] and mailbox.received == []


def test_the_form_needs_its_csrf_token_and_a_login(app, learner):
    assert login_as(app, learner).post(FORM, data={"needs": NEEDS}).status_code == 400
    visitor = app.test_client().get(FORM)
    assert visitor.status_code == 302 and "/auth/login" in visitor.location
    assert login_as(app, learner).get("/modules/no-such-module/accommodation").status_code == 404
    assert requests() == []


def test_staff_list_requests_and_mark_them_handled_in_the_audit_log(app, learner, admin):
    post_form(login_as(app, learner), FORM, {"needs": NEEDS})
    [stored] = requests()
    staff = login_as(app, admin)
    html = staff.get("/staff/accommodations").get_data(as_text=True)
    assert NEEDS in html and "asker@example.org" in html
    token = csrf_token(staff, "/staff/accommodations")
    assert staff.post("/staff/accommodations/handled", data={"request": stored.id, "csrf_token": token}) \
        .status_code == 302
    assert reload(stored).status == "handled" and stored.handled_by_id == admin.id
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "assessment.accommodation_handled")) == 1
    # Again: nothing changes, nothing more is logged.
    staff.post("/staff/accommodations/handled", data={"request": stored.id, "csrf_token": token})
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "assessment.accommodation_handled")) == 1


def test_learners_cannot_see_the_staff_list(app, learner):
    assert login_as(app, learner).get("/staff/accommodations").status_code == 403


def test_the_staff_list_runs_the_same_queries_however_many_requests(app, learner, admin, count_queries):
    client = login_as(app, admin)
    asker = login_as(app, learner)
    post_form(asker, FORM, {"needs": NEEDS})
    client.get("/staff/accommodations")
    with count_queries() as one:
        assert client.get("/staff/accommodations").status_code == 200
    for _ in range(3):
        post_form(asker, FORM, {"needs": NEEDS})
    with count_queries() as four:
        assert client.get("/staff/accommodations").status_code == 200
    assert one.count == four.count == 3  # the login session, the open requests, the handled ones
