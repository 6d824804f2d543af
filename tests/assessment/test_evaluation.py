"""The course evaluation: only after a passed attempt, only once, and saving it issues the certificate in the same
transaction (issue 15, "Evaluation")."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from coursesite.assessment.evaluation import (
    Answers,
    EvaluationRefused,
    items_of,
    module_for_evaluation,
    save_evaluation,
)
from coursesite.assessment.models import Evaluation
from coursesite.assessment.signals import evaluation_saved
from coursesite.certificates.models import Certificate
from coursesite.extensions import db
from tests.factories import SAMPLE_MODULE, evaluate, grant_access, make_user, module_id, pass_test
from tests.support import csrf_token, login_as

URL = f"/modules/{SAMPLE_MODULE}/evaluation"


@pytest.fixture
def learner(app, sample_module):
    user = make_user("evaluator@example.org", full_name="Ilse Vandermeer")
    grant_access(user)
    return user


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def answers_form(module, *, rating: str = "4", **changes) -> dict:
    items = items_of(module)
    data = {item.key: rating for item in [*items.objectives, *items.lectures, *items.speakers]}
    data.update({"relevance": "5", "bias": "yes", "overall": "4", "comments": "Clear and practical."})
    data.update(changes)
    return data


def test_the_evaluation_is_refused_without_a_passed_test(app, learner):
    client = login_as(app, learner)
    page = client.get(URL)
    assert page.status_code == 403
    assert "opens once you have passed" in page.get_data(as_text=True)
    refused = client.post(URL, data={"overall": "5", "csrf_token": csrf_token(client, "/account")})
    assert refused.status_code == 403
    assert count(Evaluation) == 0


def test_the_service_refuses_without_a_passed_test(app, learner):
    module = module_for_evaluation(SAMPLE_MODULE)
    with pytest.raises(EvaluationRefused) as refused:
        save_evaluation(learner.id, module, Answers({}, 4, True, 4))
    assert refused.value.reason == "not_passed"
    db.session.rollback()
    assert count(Evaluation) == 0


def test_a_passed_learner_evaluates_and_gets_the_certificate(app, learner):
    attempt = pass_test(learner, module_id())
    client = login_as(app, learner)
    page = client.get(URL)
    assert page.status_code == 200
    module = module_for_evaluation(SAMPLE_MODULE)
    html = page.get_data(as_text=True)
    for objective in module.objectives:
        assert objective in html
    data = answers_form(module)
    response = client.post(URL, data={**data, "csrf_token": csrf_token(client, URL)})
    assert response.status_code == 302
    assert response.location.endswith("/certificates")
    evaluation = db.session.scalar(select(Evaluation))
    assert (evaluation.user_id, evaluation.attempt_id, evaluation.overall, evaluation.relevance) == \
        (learner.id, attempt.id, 4, 5)
    assert evaluation.free_of_commercial_bias is True
    assert [row["rating"] for row in evaluation.objective_ratings] == [4] * len(module.objectives)
    assert [row["lecture_id"] for row in evaluation.lecture_ratings] == [lecture.id for lecture in module.lectures]
    certificate = db.session.scalar(select(Certificate))
    assert (certificate.user_id, certificate.attempt_id) == (learner.id, attempt.id)


def test_a_second_evaluation_is_refused(app, learner):
    pass_test(learner, module_id())
    evaluate(learner, module_id())
    client = login_as(app, learner)
    assert client.get(URL).status_code == 403
    module = module_for_evaluation(SAMPLE_MODULE)
    again = client.post(URL, data={**answers_form(module), "csrf_token": csrf_token(client, "/account")})
    assert again.status_code == 403
    assert "already evaluated" in again.get_data(as_text=True)
    assert (count(Evaluation), count(Certificate)) == (1, 1)


def test_missing_ratings_are_refused_with_a_message_and_nothing_saved(app, learner):
    pass_test(learner, module_id())
    client = login_as(app, learner)
    module = module_for_evaluation(SAMPLE_MODULE)
    data = answers_form(module)
    first_objective = items_of(module).objectives[0].key
    del data[first_objective]
    data["overall"] = "9"
    response = client.post(URL, data={**data, "csrf_token": csrf_token(client, URL)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choose a rating from 1 to 5." in html
    assert (count(Evaluation), count(Certificate)) == (0, 0)


def test_comments_longer_than_the_limit_are_refused(app, learner):
    pass_test(learner, module_id())
    client = login_as(app, learner)
    module = module_for_evaluation(SAMPLE_MODULE)
    response = client.post(URL, data={**answers_form(module, comments="x" * 2001),
                                      "csrf_token": csrf_token(client, URL)})
    assert response.status_code == 422
    assert "At most 2000 characters." in response.get_data(as_text=True)
    assert count(Evaluation) == 0


def test_the_evaluation_needs_its_csrf_token(app, learner):
    pass_test(learner, module_id())
    client = login_as(app, learner)
    module = module_for_evaluation(SAMPLE_MODULE)
    response = client.post(URL, data=answers_form(module))
    assert response.status_code in (400, 422)
    assert count(Evaluation) == 0


def test_an_unknown_module_is_a_404_and_visitors_are_sent_to_log_in(app, learner):
    assert login_as(app, learner).get("/modules/no-such-module/evaluation").status_code == 404
    visitor = app.test_client().get(URL)
    assert visitor.status_code == 302 and "/auth/login" in visitor.location


def test_the_signal_is_sent_inside_the_transaction_before_the_commit(app, learner):
    attempt = pass_test(learner, module_id())
    seen = []

    def receiver(sender, **keywords):
        # The evaluation is flushed (it has an id) but not committed: the receiver's rows join the same transaction.
        seen.append((sender, keywords, db.session().in_transaction(), db.session.get(Evaluation,
                                                                                 keywords["evaluation_id"])))

    evaluation_saved.connect(receiver)
    try:
        module = module_for_evaluation(SAMPLE_MODULE)
        keys = [item.key for item in [*items_of(module).objectives, *items_of(module).lectures,
                                      *items_of(module).speakers]]
        evaluation = save_evaluation(learner.id, module, Answers(dict.fromkeys(keys, 3), 3, True, 3))
        assert len(seen) == 1
        sender, keywords, in_transaction, row = seen[0]
        assert sender == "coursesite.assessment"
        assert keywords == {"user_id": learner.id, "module_id": module.id, "attempt_id": attempt.id,
                            "evaluation_id": evaluation.id}
        assert in_transaction and row is evaluation
        # Rolled back, the evaluation and the certificate its receiver issued vanish together.
        db.session.rollback()
        assert (count(Evaluation), count(Certificate)) == (0, 0)
    finally:
        evaluation_saved.disconnect(receiver)


def test_a_failing_receiver_leaves_no_evaluation(app, learner):
    pass_test(learner, module_id())

    def broken(sender, **keywords):
        raise RuntimeError("certificate could not be issued")

    evaluation_saved.connect(broken)
    try:
        client = login_as(app, learner)
        module = module_for_evaluation(SAMPLE_MODULE)
        token = csrf_token(client, URL)
        app.config["PROPAGATE_EXCEPTIONS"] = False
        response = client.post(URL, data={**answers_form(module), "csrf_token": token})
        assert response.status_code == 500
    finally:
        evaluation_saved.disconnect(broken)
    db.session.rollback()
    assert (count(Evaluation), count(Certificate)) == (0, 0)


def test_the_evaluation_page_runs_a_pinned_number_of_queries(app, learner, count_queries):
    pass_test(learner, module_id())
    client = login_as(app, learner)
    client.get(URL)
    with count_queries() as counter:
        assert client.get(URL).status_code == 200
    # The login session with its user (1), the module with its lectures, speaker links and speakers (4), the test
    # status: quiz settings and attempts (2), and whether the passed attempt is evaluated (1).
    assert counter.count == 8, "\n".join(statement[:120] for statement in counter.statements)


def test_the_database_refuses_a_second_evaluation_of_one_attempt(app, learner):
    attempt = pass_test(learner, module_id())
    evaluate(learner, module_id())
    db.session.add(Evaluation(user_id=learner.id, module_id=module_id(), attempt_id=attempt.id, relevance=3,
                              free_of_commercial_bias=True, overall=3))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert count(Evaluation) == 1


def test_the_service_refuses_ratings_out_of_range_and_writes_nothing(app, learner):
    pass_test(learner, module_id())
    module = module_for_evaluation(SAMPLE_MODULE)
    items = items_of(module)
    keys = [item.key for item in [*items.objectives, *items.lectures, *items.speakers]]
    for ratings, overall in ((dict.fromkeys(keys, 9), 4), (dict.fromkeys(keys[1:], 4), 4),
                             (dict.fromkeys(keys, 4), 0)):
        with pytest.raises(ValueError, match="a rating from 1 to 5 is required"):
            save_evaluation(learner.id, module, Answers(ratings, 4, True, overall))
        db.session.rollback()
    assert (count(Evaluation), count(Certificate)) == (0, 0)
