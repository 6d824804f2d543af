"""Staff's evaluation pages: aggregates per module, objective, lecture and speaker, a chart with the same figures in
a table, a CSV export with formulas escaped (and audited), and who may see them."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from coursesite.accounts.models import AuditEvent
from coursesite.assessment.evaluation import module_for_evaluation
from coursesite.assessment.models import Evaluation
from coursesite.extensions import db
from coursesite.models_base import utcnow
from tests.factories import SAMPLE_MODULE, evaluate, grant_access, make_user, module_id, pass_test
from tests.support import login_as

PAGE = f"/staff/evaluations/{SAMPLE_MODULE}"
EXPORT = f"/staff/evaluations/{SAMPLE_MODULE}/evaluations.csv"


@pytest.fixture
def admin(app):
    return make_user("admin@example.org", role="admin", full_name="Ada Administrator")


def evaluated(email: str, **answers) -> Evaluation:
    learner = make_user(email, full_name=f"Learner {email}")
    grant_access(learner)
    pass_test(learner, module_id())
    return evaluate(learner, module_id(), **answers)


def test_the_module_page_shows_means_per_objective_lecture_and_speaker(app, sample_module, admin):
    evaluated("one@example.org", rating=5, overall=5, relevance=4)
    evaluated("two@example.org", rating=2, overall=3, relevance=2, free_of_commercial_bias=False,
              comments="The second lecture\nfelt rushed.")
    module = module_for_evaluation(SAMPLE_MODULE)
    response = login_as(app, admin).get(PAGE)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<strong>2</strong> evaluations" in html
    assert "1 found the content free of commercial bias; 1 did not." in html
    assert html.count("<td>3.50</td>") == len(module.objectives) + len(module.lectures) + len(module.speakers)
    assert "<td>4.00</td>" in html and "<td>3.00</td>" in html  # overall 5 and 3, relevance 4 and 2
    for lecture in module.lectures:
        assert lecture.title in html
    for speaker in module.speakers:
        assert speaker.display_name in html
    assert html.count('role="img"') == 4
    assert f"{module.lectures[0].title}: 3.5" in html  # the chart's description states each figure
    assert "felt rushed." in html


def test_the_index_lists_modules_with_their_counts_and_speakers_across_modules(app, sample_module, admin):
    evaluated("one@example.org", overall=4, rating=3)
    evaluated("two@example.org", overall=4, rating=5)
    html = login_as(app, admin).get("/staff/evaluations").get_data(as_text=True)
    assert f'href="/staff/evaluations/{SAMPLE_MODULE}"' in html
    assert "<td>2</td>" in html and "<td>4.0</td>" in html
    for speaker in module_for_evaluation(SAMPLE_MODULE).speakers:
        assert f'<th scope="row">{speaker.display_name}</th><td>2</td><td>4.00</td>' in html


def test_the_csv_export_escapes_formulas_and_is_audited(app, sample_module, admin):
    evaluated("one@example.org", comments='=HYPERLINK("http://evil.example","click")')
    evaluated("two@example.org", comments="-1+2 was my score")
    response = login_as(app, admin).get(EXPORT)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"), newline="")))
    assert [row["comments"] for row in rows] == ['\'=HYPERLINK("http://evil.example","click")', "'-1+2 was my score"]
    assert {row["overall"] for row in rows} == {"5"}
    assert "one@example.org" not in response.get_data(as_text=True)  # the staff export names nobody
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "staff.evaluations_exported"))
    assert event.actor_id == admin.id and event.details["rows"] == 2


def test_the_period_filter_leaves_out_other_evaluations(app, sample_module, admin):
    old = evaluated("old@example.org", overall=1)
    evaluated("new@example.org", overall=5)
    db.session.execute(update(Evaluation).where(Evaluation.id == old.id)
                       .values(created_at=utcnow() - timedelta(days=400)))
    db.session.commit()
    today = utcnow().date().isoformat()
    html = login_as(app, admin).get(f"{PAGE}?date_from={today}&date_to={today}").get_data(as_text=True)
    assert "<strong>1</strong> evaluation " in html
    assert "<td>5.00</td>" in html and "<td>1.00</td>" not in html


def test_a_bad_period_is_explained_and_ignored(app, sample_module, admin):
    response = login_as(app, admin).get(f"{PAGE}?date_from=2026-05-01&date_to=2026-01-01")
    assert response.status_code == 200
    assert "The end date comes before the start date." in response.get_data(as_text=True)


def test_learners_get_403_visitors_log_in_and_unknown_modules_are_404(app, sample_module, admin):
    learner = login_as(app, make_user("learner@example.org"))
    for url in ("/staff/evaluations", PAGE, EXPORT):
        assert learner.get(url).status_code == 403
        visitor = app.test_client().get(url)
        assert visitor.status_code == 302 and "/auth/login" in visitor.location
    staff = login_as(app, admin)
    assert staff.get("/staff/evaluations/no-such-module").status_code == 404
    assert staff.get("/staff/evaluations/no-such-module/evaluations.csv").status_code == 404


def test_the_module_page_runs_the_same_queries_however_many_evaluations(app, sample_module, admin, count_queries):
    client = login_as(app, admin)
    evaluated("one@example.org")
    client.get(PAGE)
    with count_queries() as one:
        assert client.get(PAGE).status_code == 200
    evaluated("two@example.org")
    evaluated("three@example.org")
    with count_queries() as three:
        assert client.get(PAGE).status_code == 200
    assert one.count == three.count
