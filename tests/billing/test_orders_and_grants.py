"""Order history, and access granted or revoked by staff (command line; the page is tested in tests/staff)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from coursesite.accounts.models import AuditEvent
from coursesite.billing import grants
from coursesite.billing.access import access_ends, has_access
from coursesite.billing.models import Entitlement
from coursesite.extensions import db
from coursesite.models_base import utcnow
from tests.factories import make_user, module_id


def test_orders_need_a_login(client):
    for url in ("/billing/orders", "/billing/orders/ABC", "/checkout/success?session_id=x"):
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
    zero_days = runner.invoke(args=["billing", "grant", "someone@example.org", "sample-module", "--days", "0"])
    assert zero_days.exit_code == 2
    assert db.session.scalar(select(Entitlement)) is None


def test_staff_grants_and_revocations_are_audited(app, runner, learner, sample_module):
    admin = make_user("admin@example.org", role="admin")
    grants.grant_access("learner@example.org", "sample-module", 30, admin)
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
