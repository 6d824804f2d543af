"""Renewals queue after the current window; revoking a window (refund, staff, seat) pulls the queue forward.

Coverage stays contiguous from the moment of revocation, so a paid renewal is never stranded a year out.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from coursesite.accounts.models import AuditEvent
from coursesite.billing import grants
from coursesite.billing.access import (
    access_ends,
    as_utc,
    grant_entitlement,
    grant_seat_access,
    has_access,
    has_entitlement,
    revoke_entitlement,
)
from coursesite.billing.models import Entitlement, Order
from coursesite.extensions import db
from coursesite.models_base import utcnow
from tests.billing.test_refunds import paid, refund
from tests.factories import make_user, module_id

YEAR = timedelta(days=365)


def windows(kind: str = "access") -> list[Entitlement]:
    return list(db.session.scalars(select(Entitlement).where(Entitlement.kind == kind).order_by(Entitlement.id)
                                   .execution_options(populate_existing=True)))


def orders() -> list[Order]:
    return list(db.session.scalars(select(Order).order_by(Order.id).execution_options(populate_existing=True)))


def span(window: Entitlement) -> tuple:
    return as_utc(window.valid_from), as_utc(window.valid_until)


def close(a, b, slack=timedelta(seconds=30)) -> bool:
    return abs(as_utc(a) - as_utc(b)) <= slack


def buy_twice(client, stub) -> tuple[dict, dict]:
    first = paid(client, stub)
    second = paid(client, stub)
    one, two = windows()
    assert as_utc(two.valid_from) == as_utc(one.valid_until)  # the renewal queues after the first year
    return first, second


def test_refunding_the_first_purchase_moves_the_paid_renewal_to_now(app, learner_client, learner, stub,
                                                                    sample_module):
    first, _ = buy_twice(learner_client, stub)
    assert refund(app, stub, first).status_code == 200
    refunded_at = utcnow()
    one, two = windows()
    assert one.revoked_at is not None and two.revoked_at is None
    assert has_access(learner, module_id())
    assert close(two.valid_from, refunded_at)
    assert close(access_ends(learner.id, module_id()), refunded_at + YEAR)
    assert [order.status for order in orders()] == ["refunded", "paid"]

    # Buying again chains from the renewal's new end, not from where the refunded year would have ended.
    paid(learner_client, stub)
    assert close(access_ends(learner.id, module_id()), refunded_at + 2 * YEAR)


def test_refunding_the_renewal_leaves_the_first_year_intact(app, learner_client, learner, stub, sample_module):
    _, second = buy_twice(learner_client, stub)
    before = windows()[0]
    first_window = span(before)
    refund(app, stub, second)
    one, two = windows()
    assert span(one) == first_window and one.revoked_at is None
    assert two.revoked_at is not None
    assert access_ends(learner.id, module_id()) == first_window[1]


def test_revoking_the_middle_of_three_moves_only_the_last(app, learner, sample_module):
    now = utcnow()
    mid = module_id()
    first = grant_entitlement(learner.id, mid, kind="access", days=100, source="grant", now=now)
    middle = grant_entitlement(learner.id, mid, kind="access", days=50, source="grant", now=now)
    last = grant_entitlement(learner.id, mid, kind="access", days=30, source="grant", now=now)
    db.session.commit()
    revoke_entitlement(middle, "seat revoked", now=now + timedelta(days=10))
    db.session.commit()
    assert span(first) == (now, now + timedelta(days=100))
    assert span(last) == (now + timedelta(days=100), now + timedelta(days=130))
    assert access_ends(learner.id, mid, at=now + timedelta(days=10)) == now + timedelta(days=130)


def test_certificate_windows_close_up_too(app, learner, sample_module):
    now = utcnow()
    mid = module_id()
    first = grant_entitlement(learner.id, mid, kind="certificate", days=365, source="grant", now=now)
    second = grant_entitlement(learner.id, mid, kind="certificate", days=365, source="grant", now=now)
    revoke_entitlement(first, "refund", now=now + timedelta(days=1))
    db.session.commit()
    assert span(second) == (now + timedelta(days=1), now + timedelta(days=366))
    assert has_entitlement(learner, mid, "certificate", at=now + timedelta(days=2))


def test_access_ends_follows_only_coverage_that_holds_now(app, learner, sample_module):
    now = utcnow()
    mid = module_id()
    grant_entitlement(learner.id, mid, kind="access", days=10, source="grant", now=now - timedelta(days=30))
    assert access_ends(learner.id, mid, at=now) is None  # ended: a purchase now starts now
    later = grant_entitlement(learner.id, mid, kind="access", days=10, source="grant", now=now + timedelta(days=40))
    assert access_ends(learner.id, mid, at=now) is None  # a window beyond a gap is not continuous with now
    assert as_utc(grant_entitlement(learner.id, mid, kind="access", days=5, source="grant", now=now).valid_from) == now
    assert as_utc(later.valid_from) == now + timedelta(days=40)


def test_staff_revocation_mid_chain_and_a_new_grant_starts_now(app, learner_client, learner, stub, sample_module):
    buy_twice(learner_client, stub)
    admin = make_user("admin@example.org", role="admin")
    grants.grant_access(learner.email, "sample-module", 30, admin)  # queued after both years
    assert len(windows()) == 3
    assert grants.revoke_access(learner.email, "sample-module", admin, reason="fraud").revoked == 3
    assert not has_access(learner, module_id()) and access_ends(learner.id, module_id()) is None
    granted = grants.grant_access(learner.email, "sample-module", 30, admin)
    assert close(granted.valid_until, utcnow() + timedelta(days=30))


def test_a_staff_revocation_of_one_grant_pulls_the_paid_year_forward(app, learner_client, learner, stub,
                                                                     sample_module):
    grants.grant_access(learner.email, "sample-module", 90, None)
    paid(learner_client, stub)  # queued after the 90-day grant
    grant, bought = windows()
    assert as_utc(bought.valid_from) == as_utc(grant.valid_until)
    revoke_entitlement(grant, "revoked by staff (command line)")
    db.session.commit()
    bought = windows()[1]
    assert close(bought.valid_from, utcnow())
    assert has_access(learner, module_id())


DAY = timedelta(days=1)


def grant(user, days: int, at) -> Entitlement:
    return grant_entitlement(user.id, module_id(), kind="access", days=days, source="grant", now=at)


def seat(user, at, until) -> Entitlement:
    return grant_seat_access(user.id, module_id(), until=until, source_ref="seat:1", now=at)


def test_a_detached_future_window_is_never_chained_onto(app, learner, sample_module):
    now = utcnow()
    detached = grant(learner, 10, now + 40 * DAY)  # starts beyond a gap
    current = grant(learner, 5, now)
    renewal = grant(learner, 30, now)  # queued after the current window, not after the detached one
    db.session.commit()
    assert span(current) == (now, now + 5 * DAY) and span(renewal) == (now + 5 * DAY, now + 35 * DAY)
    revoke_entitlement(current, "refund", now=now + DAY)
    db.session.commit()
    assert span(renewal) == (now + DAY, now + 31 * DAY)  # pulled forward
    assert span(detached) == (now + 40 * DAY, now + 50 * DAY)  # untouched


def test_revoking_the_last_window_before_a_gap_moves_nothing(app, learner, sample_module):
    now = utcnow()
    detached = grant(learner, 10, now + 40 * DAY)
    current = grant(learner, 5, now)
    revoke_entitlement(current, "staff", now=now)
    db.session.commit()
    assert span(detached) == (now + 40 * DAY, now + 50 * DAY)
    assert not has_access(learner, module_id(), at=now + DAY)


def test_a_window_inside_the_revoked_one_moves_to_the_front_with_its_chain(app, learner, sample_module):
    """A window overlapping the revoked one had its days hidden under it: it moves to the front keeping its length,
    and the renewal queued after both follows it, so no paid day is lost and coverage is contiguous from now."""
    now = utcnow()
    inside = grant(learner, 10, now + 40 * DAY)
    year = grant(learner, 365, now)  # not covered at now: starts now, over the detached window
    renewal = grant(learner, 30, now)
    assert span(renewal) == (now + 365 * DAY, now + 395 * DAY)
    revoke_entitlement(year, "refund", now=now + DAY)
    db.session.commit()
    assert span(inside) == (now + DAY, now + 11 * DAY)
    assert span(renewal) == (now + 11 * DAY, now + 41 * DAY)
    assert access_ends(learner.id, module_id(), at=now + DAY) == now + 41 * DAY


def test_seat_windows_never_move_and_do_not_continue_a_chain(app, learner, sample_module):
    now = utcnow()
    own = grant(learner, 100, now)
    seat_window = seat(learner, now + 10 * DAY, now + 150 * DAY)
    assert span(seat_window) == (now + 10 * DAY, now + 150 * DAY)  # starts when taken, never chained
    renewal = grant(learner, 30, now + 20 * DAY)  # queued where the seat's coverage ends
    assert span(renewal) == (now + 150 * DAY, now + 180 * DAY)
    db.session.commit()

    revoke_entitlement(own, "refund", now=now + 20 * DAY)
    db.session.commit()
    assert span(seat_window) == (now + 10 * DAY, now + 150 * DAY)
    assert span(renewal) == (now + 150 * DAY, now + 180 * DAY)  # after the seat, not the refunded window

    revoke_entitlement(seat_window, "seat revoked", now=now + 30 * DAY)  # the organisation takes the seat back
    db.session.commit()
    assert span(renewal) == (now + 30 * DAY, now + 60 * DAY)


def test_a_renewal_after_a_revoked_seat_stops_where_remaining_coverage_ends(app, learner, sample_module):
    now = utcnow()
    own = grant(learner, 365, now)
    seat_window = seat(learner, now + 100 * DAY, now + 400 * DAY)
    renewal = grant(learner, 30, now + 200 * DAY)
    assert span(renewal) == (now + 400 * DAY, now + 430 * DAY)
    revoke_entitlement(seat_window, "seat revoked", now=now + 300 * DAY)
    db.session.commit()
    assert span(own) == (now, now + 365 * DAY)
    assert span(renewal) == (now + 365 * DAY, now + 395 * DAY)  # not into the year still held


def test_a_seat_is_granted_under_the_holders_lock_and_never_chained(app, learner, sample_module, monkeypatch):
    from coursesite.billing import access

    locked = []
    real = access.lock_holder
    monkeypatch.setattr(access, "lock_holder", lambda user_id: (locked.append(user_id), real(user_id)))
    now = utcnow()
    grant(learner, 100, now)
    window = seat(learner, now, now + 50 * DAY)
    assert locked == [learner.id, learner.id]
    assert (window.source, window.source_ref, window.kind) == ("seat", "seat:1", "access")
    assert span(window) == (now, now + 50 * DAY)


def test_staff_revocation_leaves_seats_to_the_organisation(app, learner, sample_module):
    now = utcnow()
    admin = make_user("admin@example.org", role="admin")
    grants.grant_access(learner.email, "sample-module", 30, admin)
    seat_window = seat(learner, now, now + 200 * DAY)
    db.session.commit()
    outcome = grants.revoke_access(learner.email, "sample-module", admin, reason="fraud")
    assert outcome.revoked == 1 and outcome.seats_kept == 1
    assert "1 seat(s) via organisations are managed by the organisation's admins" in outcome.message
    assert windows()[1].revoked_at is None and span(seat_window) == (now, now + 200 * DAY)
    assert has_access(learner, module_id())
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "billing.access_revoked")).one()
    assert event.details["periods"] == 1 and event.details["seats_kept"] == 1


def test_revoking_a_window_moves_its_whole_chain_in_a_bounded_number_of_queries(app, learner, sample_module,
                                                                                count_queries):
    now = utcnow()
    counts = []
    for renewals in (2, 8):
        first = grant(learner, 10, now)
        chain = [grant(learner, 10, now) for _ in range(renewals)]
        db.session.commit()
        with count_queries() as counter:
            revoke_entitlement(first, "refund", now=now)
            db.session.commit()
        counts.append(counter.count)
        assert span(chain[0])[0] == now and span(chain[-1])[1] == now + 10 * renewals * DAY
        for window in chain:
            revoke_entitlement(window, "clean up", now=now)
        db.session.commit()
    assert counts[0] == counts[1]  # one read of the windows, one batched update of the moved ones
