"""Ids too large for any row, in the staff's certificate actions, accommodation list and job retries: a 404, a 400 or a
message, never the 500 of a number SQLite cannot bind; and nothing changes."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from coursesite.accounts.models import AuditEvent
from coursesite.extensions import db
from coursesite.models_base import MAX_ID, row_id
from tests.factories import make_user
from tests.support import login_as, post_form

HUGE = "9" * 30


@pytest.fixture
def admin(app):
    return make_user("admin@example.org", role="admin", full_name="Ada Admin")


def audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0


@pytest.mark.parametrize("action", ["revoke", "reissue"])
def test_a_huge_certificate_id_is_404(app, admin, action):
    staff = login_as(app, admin)
    response = post_form(staff, f"/staff/certificates/{HUGE}/{action}", {"reason": "r", "name": "N"},
                         page="/staff/certificates")
    assert response.status_code == 404
    assert audit_count() == 0


@pytest.mark.parametrize("value", [HUGE, str(MAX_ID + 1), "-1", "abc", "", "١٢"])
def test_a_bad_accommodation_request_id_is_refused_with_a_message(app, admin, value):
    staff = login_as(app, admin)
    response = post_form(staff, "/staff/accommodations/handled", {"request": value}, page="/staff/accommodations",
                         follow_redirects=True)
    assert response.status_code == 200 and "No such open request" in response.text
    assert audit_count() == 0


def test_row_id_takes_only_ids_a_row_can_have():
    assert (row_id("1"), row_id(str(MAX_ID))) == (1, MAX_ID)
    assert [row_id(value) for value in (None, "0", "-3", str(MAX_ID + 1), "1.5", " 2", "٣")] == [None] * 7


def test_a_huge_job_id_is_a_bad_request(app, admin):
    staff = login_as(app, admin)
    response = post_form(staff, "/staff/jobs/retry", {"job": HUGE}, page="/staff/jobs")
    assert response.status_code == 400
    assert audit_count() == 0
