"""Attempts and grading as services (issue 15, "Attempts"): fixed at the start, saved as the learner goes, graded once
on the server, within the attempt and time limits."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from coursesite.assessment.attempts import (
    AttemptNotFound,
    AttemptRefused,
    draw_questions,
    save_answer,
    score_of,
    start_attempt,
    submit_attempt,
)
from coursesite.assessment.models import Attempt, AttemptQuestion, Choice, Question, QuizSettings
from coursesite.assessment.services import test_status as status_of
from coursesite.assessment.services import test_statuses as statuses_of
from coursesite.assessment.signals import test_passed
from coursesite.extensions import db
from coursesite.models_base import utcnow
from tests.factories import make_module, make_user, pass_test

_emails = itertools.count()
QUESTIONS = 9
OBJECTIVES = 3
PROPERTY_SETTINGS = settings(max_examples=20, deadline=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture])


def bank_module(slug: str = "graded-module", *, questions: int = QUESTIONS, per_attempt: int = QUESTIONS,
                **quiz) -> int:
    """A module with ``questions`` questions over three objectives (four choices each, the second correct)."""
    module = make_module(slug, objectives=[f"Objective {n}" for n in range(1, OBJECTIVES + 1)])
    db.session.add(QuizSettings(module_id=module.id, pass_percent=quiz.pop("pass_percent", 75),
                                questions_per_attempt=per_attempt, max_attempts=quiz.pop("max_attempts", 3), **quiz))
    for n in range(questions):
        question = Question(module_id=module.id, key=f"q{n}", position=n, objective=n % OBJECTIVES + 1,
                            prompt=f"Prompt {n}?", explanation=f"Because of reason {n}.")
        question.choices = [Choice(position=p, text=f"Choice {n}.{p}", correct=p == 2) for p in range(1, 5)]
        db.session.add(question)
    db.session.commit()
    return module.id


def learner():
    return make_user(f"learner{next(_emails)}@example.org")


def answer(user, attempt: Attempt, pattern: list[bool | None]) -> None:
    """Answer each question right (True), wrong (False) or not at all (None), in the attempt's order."""
    for item, right in zip(attempt.questions, pattern, strict=False):
        if right is None:
            continue
        choice = db.session.scalar(select(Choice.id).where(Choice.question_id == item.question_id,
                                                           Choice.correct.is_(right)).limit(1))
        save_answer(user.id, attempt.id, item.question_id, choice)


@pytest.fixture
def module(app) -> int:
    return bank_module()


def test_an_attempt_fixes_its_questions_spread_over_the_objectives(app):
    module_id = bank_module(per_attempt=6)
    attempt = start_attempt(learner().id, module_id)
    objectives = [db.session.get(Question, item.question_id).objective for item in attempt.questions]
    assert len(objectives) == 6 and sorted(objectives) == [1, 1, 2, 2, 3, 3]
    for item in attempt.questions:
        assert sorted(item.choice_order) == sorted(c.id for c in db.session.get(Question, item.question_id).choices)


def test_draw_takes_one_objective_at_a_time_until_the_bank_runs_out(app):
    bank = [Question(key=f"k{n}", objective=1 if n < 5 else 2) for n in range(6)]
    drawn = draw_questions(bank, 4)
    assert sorted(q.objective for q in drawn) == [1, 1, 1, 2]
    assert len(draw_questions(bank, 50)) == 6


def test_a_reload_resumes_the_same_attempt_with_its_saved_answers(app, module):
    user = learner()
    first = start_attempt(user.id, module)
    answer(user, first, [True])
    again = start_attempt(user.id, module)
    assert again.id == first.id
    assert [item.choice_order for item in again.questions] == [item.choice_order for item in first.questions]
    assert again.questions[0].selected_choice_id is not None


@PROPERTY_SETTINGS
@given(pattern=st.lists(st.sampled_from([True, False, None]), min_size=QUESTIONS, max_size=QUESTIONS))
def test_the_score_is_a_whole_percentage_of_correct_answers(module, pattern):
    user = learner()
    attempt = start_attempt(user.id, module)
    answer(user, attempt, pattern)
    graded = submit_attempt(user.id, attempt.id)
    assert 0 <= graded.score <= 100
    assert graded.score == 100 * pattern.count(True) // QUESTIONS
    assert graded.passed == (graded.score >= 75)


@PROPERTY_SETTINGS
@given(pattern=st.lists(st.booleans(), min_size=QUESTIONS, max_size=QUESTIONS), data=st.data())
def test_the_order_answers_are_saved_in_does_not_change_the_score(module, pattern, data):
    scores = []
    for order in (list(range(QUESTIONS)), data.draw(st.permutations(range(QUESTIONS)))):
        user = learner()
        attempt = start_attempt(user.id, module)
        items = list(attempt.questions)
        for index in order:
            answer(user, attempt, [None] * index + [pattern[index]] + [None] * (QUESTIONS - index - 1))
        assert [item.question_id for item in items] == [item.question_id for item in attempt.questions]
        scores.append(submit_attempt(user.id, attempt.id).score)
    assert scores[0] == scores[1] == 100 * sum(pattern) // QUESTIONS


@PROPERTY_SETTINGS
@given(pattern=st.lists(st.booleans(), min_size=QUESTIONS, max_size=QUESTIONS), repeats=st.integers(2, 4))
def test_submitting_again_grades_once(module, pattern, repeats):
    user = learner()
    attempt = start_attempt(user.id, module)
    answer(user, attempt, pattern)
    sent = []

    def receiver(_sender, **kwargs):
        sent.append(kwargs["attempt_id"])

    with test_passed.connected_to(receiver):
        first = submit_attempt(user.id, attempt.id)
        result = (first.score, first.passed, first.submitted_at)
        for _ in range(repeats):
            again = submit_attempt(user.id, attempt.id)
            assert (again.score, again.passed, again.submitted_at) == result
    assert sent == ([attempt.id] if first.passed else [])


@given(results=st.lists(st.booleans(), max_size=200))
def test_score_of_stays_within_0_and_100_and_gives_no_partial_credit(results):
    score = score_of(results)
    assert 0 <= score <= 100
    assert (score == 100) == (bool(results) and all(results))


def test_answers_outside_the_attempt_are_refused_and_nothing_is_written(app):
    module_id = bank_module(per_attempt=3)
    user = learner()
    attempt = start_attempt(user.id, module_id)
    inside = {item.question_id for item in attempt.questions}
    outside = db.session.scalar(select(Question.id).where(Question.module_id == module_id, Question.id.not_in(inside)))
    outside_choice = db.session.scalar(select(Choice.id).where(Choice.question_id == outside))
    with pytest.raises(AttemptRefused, match="not part of this attempt"):
        save_answer(user.id, attempt.id, outside, outside_choice)
    with pytest.raises(AttemptRefused, match="not one of this question's choices"):
        save_answer(user.id, attempt.id, attempt.questions[0].question_id, outside_choice)
    assert db.session.scalar(select(func.count()).select_from(AttemptQuestion)
                             .where(AttemptQuestion.selected_choice_id.is_not(None))) == 0


def test_someone_elses_attempt_is_not_found(app, module):
    owner, other = learner(), learner()
    attempt = start_attempt(owner.id, module)
    item = attempt.questions[0]
    with pytest.raises(AttemptNotFound):
        save_answer(other.id, attempt.id, item.question_id, item.choice_order[0])
    with pytest.raises(AttemptNotFound):
        submit_attempt(other.id, attempt.id)
    assert db.session.get(Attempt, attempt.id).status == "in_progress"


def test_a_graded_attempt_takes_no_more_answers(app, module):
    user = learner()
    attempt = start_attempt(user.id, module)
    submit_attempt(user.id, attempt.id)
    item = attempt.questions[0]
    with pytest.raises(AttemptRefused, match="submitted"):
        save_answer(user.id, attempt.id, item.question_id, item.choice_order[0])
    assert db.session.get(AttemptQuestion, item.id).selected_choice_id is None


def test_the_time_limit_is_enforced_and_a_late_submission_counts_what_was_saved_in_time(app):
    module_id = bank_module(per_attempt=4, time_limit_minutes=10)
    user = learner()
    start = utcnow()
    attempt = start_attempt(user.id, module_id, now=start)
    assert attempt.deadline is not None
    right = [db.session.scalar(select(Choice.id).where(Choice.question_id == item.question_id,
                                                       Choice.correct.is_(True))) for item in attempt.questions]
    for item, choice in zip(attempt.questions[:2], right[:2], strict=True):
        save_answer(user.id, attempt.id, item.question_id, choice, now=start + timedelta(minutes=5))
    with pytest.raises(AttemptRefused, match="time"):
        save_answer(user.id, attempt.id, attempt.questions[2].question_id, right[2], now=start + timedelta(minutes=11))
    graded = submit_attempt(user.id, attempt.id, now=start + timedelta(minutes=30))
    assert graded.score == 50
    assert [item.selected_choice_id is not None for item in graded.questions] == [True, True, False, False]


def test_after_the_attempts_allowed_the_test_is_locked_until_a_reset(app):
    from coursesite.assessment.attempts import reset_attempts

    module_id = bank_module(max_attempts=2)
    user = learner()
    for _ in range(2):
        submit_attempt(user.id, start_attempt(user.id, module_id).id)
    status = status_of(user.id, module_id)
    assert (status.state, status.attempts_used, status.locked_until) == ("locked", 2, None)
    with pytest.raises(AttemptRefused, match="every attempt"):
        start_attempt(user.id, module_id)
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 2
    assert reset_attempts(user.id, module_id, "asked by phone") == 2
    db.session.commit()
    assert status_of(user.id, module_id).state == "not_started"
    assert start_attempt(user.id, module_id).number == 3


def test_a_cool_off_opens_a_new_round_by_itself(app):
    module_id = bank_module(max_attempts=1, cooloff_days=7)
    user = learner()
    start = utcnow() - timedelta(days=8)
    submit_attempt(user.id, start_attempt(user.id, module_id, now=start).id, now=start)
    assert status_of(user.id, module_id, now=start + timedelta(days=1)).state == "locked"
    assert status_of(user.id, module_id, now=start + timedelta(days=1)).locked_until == start + timedelta(days=7)
    again = start_attempt(user.id, module_id)
    assert again.number == 2
    voided = db.session.scalar(select(Attempt).where(Attempt.number == 1))
    assert voided.voided_at is not None and voided.voided_reason == "cool-off ended"


def test_a_passed_test_is_not_sat_again(app, module):
    user = learner()
    pass_test(user, module)
    with pytest.raises(AttemptRefused, match="already passed"):
        start_attempt(user.id, module)


def test_statuses_of_many_learners_take_one_query_for_the_attempts(app, module, count_queries):
    passed, failed, fresh = learner(), learner(), learner()
    pass_test(passed, module)
    submit_attempt(failed.id, start_attempt(failed.id, module).id)
    ids = [passed.id, failed.id, fresh.id]
    with count_queries() as counter:
        statuses = statuses_of(ids, module)
    assert counter.count == 2  # the settings and the attempts
    assert [statuses[user_id].state for user_id in ids] == ["passed", "failed", "not_started"]
    assert statuses[passed.id].best_score == 100 and statuses[passed.id].passed_attempt_id is not None
    assert statuses[failed.id].attempts_used == 1 and statuses[failed.id].attempts_left == 2
