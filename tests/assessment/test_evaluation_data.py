"""Attempts, evaluations and accommodation requests in the data download and on account deletion: attempts and
evaluations stay as the sponsor's record (the evaluation unlinked from the person); the accommodation request goes."""
from __future__ import annotations

from sqlalchemy import select

from coursesite.accounts.personal_data import erase_account, export_account
from coursesite.assessment.models import AccommodationRequest, Evaluation
from coursesite.certificates.models import Certificate
from coursesite.extensions import db
from tests.factories import SAMPLE_MODULE, evaluate, grant_access, make_user, module_id, pass_test
from tests.support import login_as, post_form


def evaluated_learner(app):
    learner = make_user("leaver@example.org", full_name="Lea Leaver")
    grant_access(learner)
    attempt = pass_test(learner, module_id())
    evaluate(learner, module_id(), overall=3, comments="Good pacing.")
    post_form(login_as(app, learner), f"/modules/{SAMPLE_MODULE}/accommodation",
              {"needs": "Extra time because of dyslexia, please."})
    return learner, attempt


def test_the_download_holds_the_evaluation_and_the_request(app, sample_module):
    learner, attempt = evaluated_learner(app)
    data = export_account(learner)["assessment"]
    [evaluation] = data["evaluations"]
    assert (evaluation["module"], evaluation["attempt_id"], evaluation["overall"], evaluation["comments"]) == \
        (SAMPLE_MODULE, attempt.id, 3, "Good pacing.")
    assert evaluation["objectives"] and all(row["rating"] == 4 for row in evaluation["objectives"])
    [request] = data["accommodation_requests"]
    [sat] = data["attempts"]
    assert (sat["module"], sat["score"], sat["passed"]) == (SAMPLE_MODULE, attempt.score, True)
    assert len(sat["answers"]) == len(attempt.questions) and all(row["your_answer"] for row in sat["answers"])
    assert "correct" not in str(sat)
    assert (request["needs"], request["status"]) == ("Extra time because of dyslexia, please.", "open")


def test_the_download_through_the_account_page(app, sample_module):
    learner, _attempt = evaluated_learner(app)
    response = login_as(app, learner).get("/account/export")
    assert response.status_code == 200
    assert response.json["assessment"]["evaluations"][0]["comments"] == "Good pacing."


def test_deletion_keeps_the_evaluation_unlinked_and_deletes_the_request(app, sample_module):
    learner, attempt = evaluated_learner(app)
    erase_account(learner)
    db.session.commit()
    evaluation = db.session.scalar(select(Evaluation))
    assert evaluation.user_id is None
    assert (evaluation.attempt_id, evaluation.overall, evaluation.comments) == (attempt.id, 3, "Good pacing.")
    assert db.session.scalars(select(AccommodationRequest)).all() == []
    assert db.session.scalar(select(Certificate)) is not None  # the certificate, H7's record, stays too
    remaining = export_account(learner)["assessment"]
    assert (remaining["evaluations"], remaining["accommodation_requests"]) == ([], [])
    assert [row["score"] for row in remaining["attempts"]] == [attempt.score]  # attempts stay, as the sponsor's record
