"""The sponsor's records: per module and period, CSV downloads of attendance (with time on task), attempts with
scores, evaluations and certificates; audited, escaped, staff only."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from coursesite.accounts.models import AuditEvent
from coursesite.catalog.models import Lecture
from coursesite.certificates.models import Certificate
from coursesite.extensions import db
from coursesite.models_base import utcnow
from tests.factories import SAMPLE_MODULE, evaluate, grant_access, make_user, module_id, pass_test, watch
from tests.support import login_as

PAGE = "/staff/records"


@pytest.fixture
def admin(app):
    return make_user("admin@example.org", role="admin", full_name="Ada Administrator")


@pytest.fixture
def finisher(app, sample_module):
    """A learner who watched everything, passed, evaluated and holds the certificate."""
    learner = make_user("finisher@example.org", full_name="=Fran Finisher", licence_number="PSY-0042",
                        licence_jurisdiction="Ontario")
    grant_access(learner)
    for lecture in db.session.scalars(select(Lecture).where(Lecture.module_id == module_id())):
        watch(learner, lecture)
    pass_test(learner, module_id())
    evaluate(learner, module_id(), overall=5, comments="Useful.")
    return learner


def download(client, kind: str, **period) -> list[dict[str, str]]:
    response = client.get(PAGE, query_string={"module": SAMPLE_MODULE, "kind": kind, **period})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"), newline="")))


def test_attendance_lists_lectures_completed_and_time_on_task(app, admin, finisher):
    starter = make_user("starter@example.org", full_name="Sam Starter")
    first = db.session.scalar(select(Lecture).where(Lecture.module_id == module_id()).order_by(Lecture.position))
    watch(starter, first, 0.5)
    rows = download(login_as(app, admin), "attendance")
    by_email = {row["email"]: row for row in rows}
    assert set(by_email) == {"finisher@example.org", "starter@example.org"}
    lectures = db.session.scalars(select(Lecture).where(Lecture.module_id == module_id())).all()
    done = by_email["finisher@example.org"]
    assert (done["name"], done["licence_number"], done["lectures_completed"]) == \
        ("'=Fran Finisher", "PSY-0042", str(len(lectures)))
    assert float(done["hours_on_task"]) == round(sum(lecture.duration_seconds for lecture in lectures) / 3600, 2)
    assert by_email["starter@example.org"]["lectures_completed"] == "0"
    assert done["module_completed_at"]


def test_attempts_evaluations_and_certificates(app, admin, finisher):
    client = login_as(app, admin)
    [attempt] = download(client, "attempts")
    assert (attempt["email"], attempt["status"], attempt["score_percent"], attempt["passed"]) == \
        ("finisher@example.org", "graded", "100", "yes")
    [evaluation] = download(client, "evaluations")
    assert (evaluation["email"], evaluation["overall"], evaluation["comments"]) == \
        ("finisher@example.org", "5", "Useful.")
    [certificate] = download(client, "certificates")
    code = db.session.scalar(select(Certificate.code))
    assert (certificate["code"], certificate["status"], certificate["licence_number"]) == (code, "valid", "PSY-0042")
    actions = db.session.scalars(select(AuditEvent.details).where(AuditEvent.action == "staff.records_exported"))
    assert [details["kind"] for details in actions] == ["attempts", "evaluations", "certificates"]


def test_a_period_without_activity_gives_only_the_header(app, admin, finisher):
    long_ago = (utcnow() - timedelta(days=800)).date().isoformat()
    for kind in ("attendance", "attempts", "evaluations", "certificates"):
        assert download(login_as(app, admin), kind, date_from=long_ago, date_to=long_ago) == []


def test_the_page_explains_bad_choices(app, admin, sample_module):
    client = login_as(app, admin)
    assert client.get(PAGE).status_code == 200
    unknown = client.get(PAGE, query_string={"module": "nope", "kind": "attendance"})
    assert unknown.status_code == 422 and "Not a valid choice" in unknown.get_data(as_text=True)
    reversed_period = client.get(PAGE, query_string={"module": SAMPLE_MODULE, "kind": "attempts",
                                                     "date_from": "2026-05-01", "date_to": "2026-01-01"})
    assert reversed_period.status_code == 422
    assert "The end date comes before the start date." in reversed_period.get_data(as_text=True)
    bad_kind = client.get(PAGE, query_string={"module": SAMPLE_MODULE, "kind": "passwords"})
    assert bad_kind.status_code == 422 and "Choose one of the downloads" in bad_kind.get_data(as_text=True)


def test_only_staff_with_the_reports_right(app, sample_module):
    learner = login_as(app, make_user("learner@example.org"))
    assert learner.get(PAGE, query_string={"module": SAMPLE_MODULE, "kind": "attendance"}).status_code == 403
    editor = login_as(app, make_user("editor@example.org", role="editor"))
    assert editor.get(PAGE).status_code == 403
