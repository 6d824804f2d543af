"""The append-only audit log: ``record`` and the staff page with filters and pagination."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import delete, func, select, update

from coursesite.accounts.audit import AUDIT_PAGE_SIZE, record
from coursesite.accounts.models import AppendOnlyError, AuditEvent
from coursesite.extensions import db
from tests.factories import PASSWORD, make_user
from tests.support import csrf_token, post_form, submit_login


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_record_keeps_actor_action_target_details_address_and_time(app, user):
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "203.0.113.9"}):
        event = record(user, "catalog.published", "modules:7", title="A Module", revision=3)
        db.session.commit()
    stored = db.session.get(AuditEvent, event.id)
    assert (stored.actor_id, stored.action, stored.target) == (user.id, "catalog.published", "modules:7")
    assert stored.details == {"title": "A Module", "revision": 3}
    assert stored.ip_address == "203.0.113.9"
    assert stored.at is not None


def test_record_names_a_model_target_by_table_and_id(app, user):
    event = record(None, "account.role_changed", user)
    db.session.commit()
    assert event.target == f"users:{user.id}" and event.actor_id is None and event.ip_address is None


def test_audit_events_cannot_be_changed_or_removed(app, user):
    event = record(user, "account.login", user)
    db.session.commit()

    event.action = "account.nothing_happened"
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()

    db.session.delete(event)
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()

    with pytest.raises(AppendOnlyError):
        db.session.execute(update(AuditEvent).values(action="rewritten"))
    with pytest.raises(AppendOnlyError):
        db.session.execute(delete(AuditEvent))
    db.session.rollback()
    assert db.session.scalar(select(AuditEvent.action)) == "account.login"
    assert count() == 1


def seed(user, admin) -> None:
    db.session.add_all([
        AuditEvent(actor=user, action="account.login", target=f"users:{user.id}", details={},
                   at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC)),
        AuditEvent(actor=admin, action="account.role_changed", target=f"users:{user.id}",
                   details={"previous": "learner", "role": "editor"},
                   at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC)),
        AuditEvent(actor=None, action="account.login_failed", target="", details={"reason": "unknown email"},
                   at=datetime(2026, 3, 3, 23, 59, tzinfo=UTC)),
    ])
    db.session.commit()


def rows(page: str) -> int:
    return page.count("<tr>") - 1  # minus the header row


def listed(client, query: str | dict) -> str:
    """The staff audit page for ``query`` (a query string or a dict of parameters), which must answer 200."""
    response = client.get("/staff/audit", query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_staff_page_filters_by_action_actor_and_dates(client, user, admin):
    seed(user, admin)
    submit_login(client, admin.email)  # adds one account.login event for the admin, today

    assert rows(listed(client, "")) == 4
    page = listed(client, "action=account.role_changed")
    assert rows(page) == 1 and "previous: learner; role: editor" in page
    assert rows(listed(client, "actor=ADA@example")) == 1
    assert rows(listed(client, "actor=example.org")) == 3
    assert rows(listed(client, "date_from=2026-03-02&date_to=2026-03-03")) == 2
    assert rows(listed(client, "date_to=2026-03-01")) == 1
    assert '<option selected value="account.role_changed">' in listed(client, "action=account.role_changed")


@pytest.mark.parametrize(("query", "message"), [
    ("date_from=2026-13-45", "Not a valid date value."),
    ("date_from=2026-03-03&date_to=2026-03-01", "The end date comes before the start date."),
    ("actor=" + "x" * 300, "Field cannot be longer than 254 characters"),
    ("page=99999999999999999999999", "There is no page 99999999999999999999999"),
    ("page=9223372036854775807", "There is no page 9223372036854775807"),
    ("page=5000", "There is no page 5000: the log, as filtered, has 1 page."),
    ("date_to=9999-12-31", "Choose a date between 1970-01-01 and 2999-12-31."),
    ("date_from=0001-01-01", "Choose a date between 1970-01-01 and 2999-12-31."),
    ("target=" + "9" * 300, "Field cannot be longer than 254 characters"),
])
def test_bad_filters_pages_and_dates_get_a_message_and_no_500(client, admin, query, message):
    submit_login(client, admin.email)
    assert message in listed(client, query)


def test_the_staff_page_is_paginated_newest_first(client, admin, count_queries):
    db.session.add_all([AuditEvent(actor=admin, action="catalog.edited", target=f"modules:{number}", details={})
                        for number in range(AUDIT_PAGE_SIZE + 5)])
    db.session.commit()
    submit_login(client, admin.email)

    first = client.get("/staff/audit?action=catalog.edited").get_data(as_text=True)
    assert rows(first) == AUDIT_PAGE_SIZE
    assert f"modules:{AUDIT_PAGE_SIZE + 4}" in first and "page 1 of 2" in first
    assert 'href="/staff/audit?page=2&amp;action=catalog.edited"' in first
    second = client.get("/staff/audit?page=2&action=catalog.edited").get_data(as_text=True)
    assert rows(second) == 5 and "modules:0<" in second
    assert client.get("/staff/audit?page=-3").status_code == 200
    assert client.get("/staff/audit?page=999").status_code == 200

    with count_queries() as counter:
        client.get("/staff/audit")
    assert counter.count <= 6, counter.statements


def test_logins_failures_logouts_and_role_changes_are_audited(client, runner, user):
    submit_login(client, user.email, "not the right one at all")
    submit_login(client, user.email)
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/account")})
    runner.invoke(args=["users", "set-role", user.email, "editor"])
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["account.login_failed", "account.login", "account.logout", "account.role_changed"]


def test_the_staff_page_filters_by_target_user_email_or_id(client, user, admin):
    seed(user, admin)
    other = make_user("other@example.org")
    db.session.add(AuditEvent(actor=other, action="account.login", target=f"users:{other.id}", details={}))
    db.session.commit()
    submit_login(client, admin.email)

    by_email = listed(client, {"target": "ADA@ｅxample.org"})
    assert rows(by_email) == 2 and f"users:{other.id}" not in by_email
    assert rows(listed(client, {"target": str(user.id)})) == 2
    assert rows(listed(client, {"target": f"users:{other.id}"})) == 1
    assert "audit-table" not in listed(client, {"target": "nobody@example.org"})
    assert rows(listed(client, {"target": str(user.id), "action": "account.role_changed"})) == 1
    assert 'name="target"' in by_email


def test_the_database_itself_refuses_to_change_or_remove_audit_events(app, user):
    record(user, "account.login", user)
    db.session.commit()
    for statement in ("UPDATE audit_events SET action = 'account.nothing_happened'", "DELETE FROM audit_events"):
        with db.engine.connect() as connection:  # plain SQL, past the ORM's listeners
            with pytest.raises(sa.exc.DBAPIError, match="audit events are append-only"):
                connection.execute(sa.text(statement))
            connection.rollback()
    assert db.session.scalar(select(AuditEvent.action)) == "account.login"


def test_deleting_an_account_changes_no_audit_event(client, user):
    submit_login(client, user.email)
    before = [(event.id, event.action, event.ip_address, event.details)
              for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    response = post_form(client, "/account/delete", {"current_password": PASSWORD, "understood": "y"})
    assert response.status_code == 302, "deletion never needs to update the append-only log"
    db.session.expire_all()
    after = [(event.id, event.action, event.ip_address, event.details)
             for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert after[:len(before)] == before and after[-1][1] == "account.deleted"
