"""The test pages (issue 15, "Who may sit it", "Attempts", "Bad input"): the gates say what is missing, with links;
nothing before grading carries correct-answer data; bad answers and other people's attempts change nothing."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from coursesite.accounts.audit import AuditEvent
from coursesite.assessment.attempts import start_attempt
from coursesite.assessment.models import Attempt, AttemptQuestion, Choice, Question
from coursesite.billing.access import grant_entitlement
from coursesite.catalog.models import Lecture
from coursesite.extensions import db
from tests.factories import SAMPLE_MODULE, grant_access, make_user, module_id, watch
from tests.support import CSRF_INPUT, csrf_token, login_as

TEST_URL = f"/modules/{SAMPLE_MODULE}/test"


def give_certificate(user) -> None:
    grant_entitlement(user.id, module_id(), kind="certificate", days=365, source="grant")
    db.session.commit()


def watch_everything(user) -> None:
    for lecture in db.session.scalars(select(Lecture).where(Lecture.module_id == module_id())):
        watch(user, lecture)


@pytest.fixture
def ready(app, sample_module):
    """A learner who may sit the sample module's test: access, the certificate add-on, every lecture watched."""
    user = make_user("ready@example.org")
    grant_access(user)
    give_certificate(user)
    watch_everything(user)
    return user


def start(client) -> str:
    response = client.post(f"{TEST_URL}/start", data={"csrf_token": csrf_token(client, TEST_URL)})
    assert response.status_code == 302
    return response.location


def attempt_of(user) -> Attempt:
    return db.session.scalar(select(Attempt).where(Attempt.user_id == user.id))


def choices_by_correctness(item: AttemptQuestion) -> dict[bool, int]:
    return {choice.correct: choice.id for choice in db.session.scalars(
        select(Choice).where(Choice.question_id == item.question_id))}


def saved_answers() -> int:
    return db.session.scalar(select(func.count()).select_from(AttemptQuestion)
                             .where(AttemptQuestion.selected_choice_id.is_not(None)))


def test_without_access_the_test_page_says_so_with_a_link_to_buy(app, sample_module):
    client = login_as(app, make_user("nobody@example.org"))
    page = client.get(TEST_URL)
    html = page.get_data(as_text=True)
    assert page.status_code == 403
    assert "You need access to this module." in html
    assert f'href="/modules/{SAMPLE_MODULE}"' in html


def test_with_access_only_the_page_lists_the_add_on_and_the_lectures_to_finish(app, sample_module):
    user = make_user("access-only@example.org")
    grant_access(user)
    first = db.session.scalar(select(Lecture).where(Lecture.module_id == module_id()).order_by(Lecture.position))
    watch(user, first)
    client = login_as(app, user)
    html = client.get(TEST_URL).get_data(as_text=True)
    assert f'href="/checkout/{SAMPLE_MODULE}/certificate"' in html
    assert "1 of 2 still to complete" in html
    assert first.title not in re.findall(r'lectures/([a-z-]+)"', html)
    assert f'href="/modules/{SAMPLE_MODULE}/lectures/in-conversation"' in html
    assert "Start the test" not in html
    refused = client.post(f"{TEST_URL}/start", data={"csrf_token": csrf_token(client, TEST_URL)})
    assert refused.status_code == 302 and refused.location.endswith(TEST_URL)
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_with_the_add_on_but_lectures_unwatched_only_completion_is_missing(app, sample_module):
    user = make_user("unwatched@example.org")
    grant_access(user)
    give_certificate(user)
    html = login_as(app, user).get(TEST_URL).get_data(as_text=True)
    assert f"/checkout/{SAMPLE_MODULE}/certificate" not in html
    assert "2 of 2 still to complete" in html


def test_a_ready_learner_starts_answers_submits_and_sees_the_result(app, ready):
    client = login_as(app, ready)
    assert "Start the test" in client.get(TEST_URL).get_data(as_text=True)
    attempt_url = start(client)
    attempt = attempt_of(ready)
    page = client.get(attempt_url)
    assert page.status_code == 200
    token = csrf_token(client, attempt_url)
    for item in attempt.questions:
        right = choices_by_correctness(item)[True]
        saved = client.post(f"{attempt_url}/answer", json={"question_id": item.question_id, "choice_id": right},
                            headers={"X-CSRFToken": token})
        assert saved.status_code == 200 and saved.json["saved"] is True
    result = client.post(f"{attempt_url}/submit", data={"csrf_token": token})
    assert result.status_code == 303
    html = client.get(result.location).get_data(as_text=True)
    assert "100%" in html and "You passed" in html
    assert "It is called the first idea." in html  # answers are shown after a pass


def test_a_reload_shows_the_saved_answers_and_the_same_order(app, ready):
    client = login_as(app, ready)
    attempt_url = start(client)
    attempt = attempt_of(ready)
    item = attempt.questions[0]
    wrong = choices_by_correctness(item)[False]
    client.post(f"{attempt_url}/answers", data={"csrf_token": csrf_token(client, attempt_url),
                                                f"answer-{item.question_id}": str(wrong)})
    other_device = login_as(app, ready)
    html = other_device.get(TEST_URL).get_data(as_text=True)
    assert "Continue the test" in html
    page = other_device.get(attempt_url).get_data(as_text=True)
    assert f'value="{wrong}" checked' in page
    shown = [int(v) for v in re.findall(rf'name="answer-{item.question_id}" value="(\d+)"', page)]
    assert shown == item.choice_order


def test_no_correct_answer_data_before_grading(app, ready):
    """Neither the pages nor the JSON of an ungraded attempt say which choice is correct or explain it."""
    client = login_as(app, ready)
    attempt_url = start(client)
    attempt = attempt_of(ready)
    explanations = list(db.session.scalars(select(Question.explanation)))
    token = csrf_token(client, attempt_url)
    item = attempt.questions[0]
    bodies = [
        client.get(TEST_URL).get_data(as_text=True),
        client.get(attempt_url).get_data(as_text=True),
        client.get(f"{attempt_url}/result").get_data(as_text=True),
        client.post(f"{attempt_url}/answer", json={"question_id": item.question_id,
                                                   "choice_id": item.choice_order[0]},
                    headers={"X-CSRFToken": token}).get_data(as_text=True),
        client.post(f"{attempt_url}/answer", json={"question_id": item.question_id, "choice_id": 999999},
                    headers={"X-CSRFToken": token}).get_data(as_text=True),
    ]
    for body in bodies:
        assert "correct" not in body.lower()
        for explanation in explanations:
            assert explanation not in body
    page = bodies[1]
    for each in attempt.questions:
        inputs = re.findall(rf'<input type="radio"[^>]*name="answer-{each.question_id}"[^>]*>', page)
        assert len(inputs) == len(each.choice_order)
        # Every choice of a question carries the same attributes, whatever its correctness.
        assert {re.sub(r'(id|value)="[^"]*"|checked', "", tag) for tag in inputs}.__len__() == 1


def test_answers_to_other_questions_or_choices_are_rejected_without_a_trace(app, ready):
    client = login_as(app, ready)
    attempt_url = start(client)
    attempt = attempt_of(ready)
    token = csrf_token(client, attempt_url)
    first, second = attempt.questions
    other_choice = choices_by_correctness(second)[True]
    headers = {"X-CSRFToken": token}
    foreign = client.post(f"{attempt_url}/answer", json={"question_id": first.question_id,
                                                         "choice_id": other_choice}, headers=headers)
    assert foreign.status_code == 409 and "not one of this question's choices" in foreign.json["error"]
    outside = client.post(f"{attempt_url}/answer", json={"question_id": 424242, "choice_id": other_choice},
                          headers=headers)
    assert outside.status_code == 409 and "not part of this attempt" in outside.json["error"]
    for junk in ({"question_id": "1", "choice_id": 2}, [1, 2], {"question_id": True, "choice_id": 1}):
        assert client.post(f"{attempt_url}/answer", json=junk, headers=headers).status_code == 400
    form = client.post(f"{attempt_url}/answers", data={"csrf_token": token, f"answer-{first.question_id}": "x"})
    assert form.status_code == 400
    without_token = client.post(f"{attempt_url}/answer", json={"question_id": first.question_id,
                                                               "choice_id": first.choice_order[0]})
    assert without_token.status_code == 400
    assert saved_answers() == 0


def test_someone_elses_attempt_is_a_404_everywhere(app, ready):
    owner = login_as(app, ready)
    attempt_url = start(owner)
    attempt = attempt_of(ready)
    intruder_user = make_user("intruder@example.org")
    grant_access(intruder_user)
    intruder = login_as(app, intruder_user)
    token = csrf_token(intruder, TEST_URL)
    item = attempt.questions[0]
    assert intruder.get(attempt_url).status_code == 404
    assert intruder.get(f"{attempt_url}/result").status_code == 404
    assert intruder.post(f"{attempt_url}/answer", json={"question_id": item.question_id,
                                                        "choice_id": item.choice_order[0]},
                         headers={"X-CSRFToken": token}).status_code == 404
    assert intruder.post(f"{attempt_url}/answers", data={"csrf_token": token}).status_code == 404
    assert intruder.post(f"{attempt_url}/submit", data={"csrf_token": token}).status_code == 404
    assert owner.get(f"/modules/{SAMPLE_MODULE}/test/attempts/{attempt.id + 1000}").status_code == 404
    db.session.expire_all()
    assert attempt_of(ready).status == "in_progress" and saved_answers() == 0


def test_an_attempt_id_no_row_could_have_is_a_404(app, ready):
    client = login_as(app, ready)
    start(client)
    token = csrf_token(client, TEST_URL)
    huge = f"/modules/{SAMPLE_MODULE}/test/attempts/{'9' * 30}"
    assert client.get(huge).status_code == 404
    assert client.get(f"{huge}/result").status_code == 404
    assert client.post(f"{huge}/submit", data={"csrf_token": token}).status_code == 404
    assert attempt_of(ready).status == "in_progress"


def test_a_replayed_submission_grades_once(app, ready):
    client = login_as(app, ready)
    attempt_url = start(client)
    token = csrf_token(client, attempt_url)
    first = client.post(f"{attempt_url}/submit", data={"csrf_token": token})
    graded = attempt_of(ready)
    submitted_at = graded.submitted_at
    again = client.post(f"{attempt_url}/submit", data={"csrf_token": token})
    assert first.location == again.location
    db.session.expire_all()
    assert attempt_of(ready).submitted_at == submitted_at
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_failing_shows_weak_objectives_with_the_lecture_to_revisit_but_not_the_answers(app, ready):
    client = login_as(app, ready)
    attempt_url = start(client)
    token = csrf_token(client, attempt_url)
    for item in attempt_of(ready).questions:
        client.post(f"{attempt_url}/answers", data={"csrf_token": token,
                                                    f"answer-{item.question_id}": choices_by_correctness(item)[False]})
    html = client.get(client.post(f"{attempt_url}/submit", data={"csrf_token": token}).location).get_data(
        as_text=True)
    assert "0%" in html and "Not passed this time" in html
    assert "Describe the first idea. <strong>(to review)</strong>" in html
    assert f'href="/modules/{SAMPLE_MODULE}/lectures/first-steps"' in html
    assert "It is called the first idea." not in html
    assert "2 attempts left" in html


def test_staff_reset_a_locked_learner_and_the_reset_is_audited(app, ready):
    client = login_as(app, ready)
    for _ in range(3):
        attempt_url = start(client)
        client.post(f"{attempt_url}/submit", data={"csrf_token": csrf_token(client, attempt_url)})
    assert "used all 3 attempts" in client.get(TEST_URL).get_data(as_text=True)
    admin = login_as(app, make_user("admin@example.org", role="admin"))
    page = admin.get("/staff/attempts?email=ready@example.org")
    assert page.status_code == 200 and "locked" in page.get_data(as_text=True)
    token = CSRF_INPUT.search(page.get_data(as_text=True)).group(1)
    done = admin.post("/staff/attempts/reset", data={"csrf_token": token, "email": "ready@example.org",
                                                     "module": SAMPLE_MODULE, "reason": "technical fault"})
    assert done.status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "test.attempts_reset"))
    assert event.details["attempts_voided"] == 3 and event.details["reason"] == "technical fault"
    assert "Start another attempt" not in client.get(TEST_URL).get_data(as_text=True)
    assert "Start the test" in client.get(TEST_URL).get_data(as_text=True)
    assert start_attempt(ready.id, module_id()).number == 4


def test_a_submission_carrying_a_foreign_answer_is_refused_ungraded(app, ready):
    client = login_as(app, ready)
    attempt_url = start(client)
    first, second = attempt_of(ready).questions
    token = csrf_token(client, attempt_url)
    refused = client.post(f"{attempt_url}/submit", data={
        "csrf_token": token, f"answer-{first.question_id}": str(choices_by_correctness(first)[True]),
        f"answer-{second.question_id}": str(choices_by_correctness(first)[False])})
    assert refused.status_code == 303 and refused.location.endswith(attempt_url)
    db.session.expire_all()
    assert attempt_of(ready).status == "in_progress" and saved_answers() == 0
    assert "Not submitted: That answer is not one of this question&#39;s choices." in \
        client.get(attempt_url).get_data(as_text=True)


def test_a_late_submission_is_graded_on_the_answers_saved_in_time(app, ready):
    from datetime import timedelta

    from coursesite.models_base import utcnow

    client = login_as(app, ready)
    attempt_url = start(client)
    attempt = attempt_of(ready)
    first, second = attempt.questions
    token = csrf_token(client, attempt_url)
    client.post(f"{attempt_url}/answers", data={"csrf_token": token,
                                                f"answer-{first.question_id}": choices_by_correctness(first)[True]})
    attempt.deadline = utcnow() - timedelta(seconds=1)  # the time limit has just run out
    db.session.commit()
    late = client.post(f"{attempt_url}/submit", data={
        "csrf_token": token, f"answer-{second.question_id}": str(choices_by_correctness(second)[True])})
    assert late.status_code == 303 and late.location.endswith("/result")
    db.session.expire_all()
    graded = attempt_of(ready)
    assert (graded.status, graded.score) == ("graded", 50)
    assert db.session.get(AttemptQuestion, second.id).selected_choice_id is None


def test_query_counts_of_the_attempt_and_result_pages_do_not_grow_with_the_questions(app, count_queries):
    from tests.assessment.test_attempts import bank_module

    counts = []
    for slug, per_attempt in (("short-test", 3), ("long-test", 9)):
        target = bank_module(slug, per_attempt=per_attempt)
        user = make_user(f"{slug}@example.org")
        grant_access(user, target)
        attempt = start_attempt(user.id, target)
        client = login_as(app, user)
        url = f"/modules/{slug}/test/attempts/{attempt.id}"
        client.get(url)  # warm: the login session's first use
        pages = []
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        pages.append(counter.count)
        client.post(f"{url}/submit", data={"csrf_token": csrf_token(client, url)})
        with count_queries() as counter:
            assert client.get(f"{url}/result").status_code == 200
        pages.append(counter.count)
        counts.append(pages)
    # One query per kind of row (login session, module, access, attempt, its questions, their texts and choices;
    # the result adds the learner's status, the settings and the lectures), never one per question.
    assert counts == [[7, 11], [7, 11]]
