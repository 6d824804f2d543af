"""My learning, order history, and access granted or revoked by staff (page and command line)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from coursesite.accounts.models import AuditEvent
from coursesite.billing import staff
from coursesite.billing.access import access_ends, grant_entitlement, has_access
from coursesite.billing.models import Entitlement
from coursesite.billing.services import learning_overview
from coursesite.extensions import db
from coursesite.models_base import utcnow
from tests.billing.conftest import csrf_token, login, make_user, module_id


def test_my_learning_shows_the_access_window_and_days_left(learner_client, learner, sample_module):
    grant_entitlement(learner.id, module_id(), kind="access", days=40, source="grant",
                      now=utcnow() - timedelta(days=10))
    db.session.commit()
    page = learner_client.get("/learning").get_data(as_text=True)
    assert "A Sample Module" in page and "<strong>30 days left</strong>" in page
    assert "Start watching" in page and "Test and certificate: not bought yet." in page


def test_my_learning_lists_ended_access_with_a_renew_link(learner_client, learner, sample_module):
    grant_entitlement(learner.id, module_id(), kind="access", days=5, source="grant",
                      now=utcnow() - timedelta(days=30))
    db.session.commit()
    page = learner_client.get("/learning").get_data(as_text=True)
    assert "Access ended on" in page and "Renew" in page and "Start watching" not in page


def test_learning_overview_counts_renewals_in_the_window(app, learner, sample_module):
    now = utcnow()
    grant_entitlement(learner.id, module_id(), kind="access", days=365, source="order", now=now)
    grant_entitlement(learner.id, module_id(), kind="access", days=365, source="order", now=now)
    db.session.commit()
    (item,) = learning_overview(learner.id, now)
    assert item.active and item.days_left == 730 and item.ends - item.starts == timedelta(days=730)


def test_my_learning_and_orders_need_a_login(client):
    for url in ("/learning", "/billing/orders", "/billing/orders/ABC", "/checkout/success?session_id=x"):
        assert client.get(url).status_code in (302, 401), url


def test_empty_order_history(learner_client):
    assert "No orders yet." in learner_client.get("/billing/orders").get_data(as_text=True)


def test_cli_grant_and_revoke(app, runner, learner, sample_module):
    result = runner.invoke(args=["billing", "grant", "Learner@Example.org", "sample-module", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert "has access to sample-module until" in result.output
    assert has_access(learner, module_id())
    ends = access_ends(learner.id, module_id())
    assert timedelta(days=29) < ends - utcnow() <= timedelta(days=30)
    entitlement = db.session.scalar(select(Entitlement))
    assert (entitlement.source, entitlement.source_ref) == ("grant", "staff:cli")

    result = runner.invoke(args=["billing", "revoke", "learner@example.org", "sample-module", "--reason", "test"])
    assert result.exit_code == 0 and "Revoked 1 access period(s)" in result.output
    db.session.expire_all()
    assert not has_access(learner, module_id())
    assert db.session.scalar(select(Entitlement.revoked_reason)) == "revoked by staff (command line): test"


def test_cli_refuses_unknown_people_modules_and_day_counts(runner, sample_module):
    assert runner.invoke(args=["billing", "grant", "nobody@example.org", "sample-module"]).exit_code == 1
    make_user("someone@example.org")
    assert runner.invoke(args=["billing", "grant", "someone@example.org", "nope"]).exit_code == 1
    assert runner.invoke(args=["billing", "grant", "someone@example.org", "sample-module", "--days", "0"]).exit_code == 2
    assert db.session.scalar(select(Entitlement)) is None


def test_admins_grant_and_revoke_on_the_staff_page(app, learner, sample_module):
    admin = make_user("admin@example.org", role="admin")
    client = login(app, admin)
    page = client.get("/billing/staff/access")
    assert page.status_code == 200 and '<option value="sample-module">A Sample Module</option>' in page.get_data(
        as_text=True)
    token = csrf_token(client, "/billing/staff/access")
    response = client.post("/billing/staff/access", data={"csrf_token": token, "email": "learner@example.org",
                                                          "module": "sample-module", "days": "90"})
    assert response.status_code == 302
    assert has_access(learner, module_id())
    assert db.session.scalar(select(Entitlement.source_ref)) == f"staff:{admin.id}"
    listing = client.get("/billing/staff/access?email=learner@example.org").get_data(as_text=True)
    assert "Revoke access to A Sample Module" in listing

    response = client.post("/billing/staff/access/revoke", data={
        "csrf_token": token, "email": "learner@example.org", "module": "sample-module"})
    assert response.status_code == 302
    db.session.expire_all()
    assert not has_access(learner, module_id())


def test_staff_page_form_errors_are_shown_on_the_fields(app, sample_module):
    client = login(app, make_user("admin@example.org", role="admin"))
    token = csrf_token(client, "/billing/staff/access")
    response = client.post("/billing/staff/access", data={"csrf_token": token, "email": "ghost@example.org",
                                                          "module": "sample-module", "days": "5000"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="days-error"' in page and 'aria-invalid="true"' in page
    assert db.session.scalar(select(Entitlement)) is None


def test_only_admins_reach_the_staff_page(app, learner, sample_module):
    for user in (learner, make_user("editor@example.org", role="editor")):
        client = login(app, user)
        assert client.get("/billing/staff/access").status_code == 404
        token = csrf_token(client)
        assert client.post("/billing/staff/access/revoke", data={
            "csrf_token": token, "email": "learner@example.org", "module": "sample-module"}).status_code == 404


def test_staff_grants_and_revocations_are_audited(app, runner, learner, sample_module):
    admin = make_user("admin@example.org", role="admin")
    staff.grant_access("learner@example.org", "sample-module", 30, admin)
    runner.invoke(args=["billing", "revoke", "learner@example.org", "sample-module", "--reason", "duplicate"])
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor_id, e.target) for e in events] == [
        ("billing.access_granted", admin.id, f"users:{learner.id}"),
        ("billing.access_revoked", None, f"users:{learner.id}"),
    ]
    assert events[0].details["module"] == "sample-module" and events[0].details["days"] == 30
    assert events[1].details == {"module": "sample-module", "periods": 1, "seats_kept": 0,
                                 "reason": "duplicate"}
    assert "learner@example.org" not in str([e.details for e in events])
