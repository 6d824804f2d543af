"""completion(), completions() and completions_for_users(): the one completion rule, as other packages read it."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coursesite.catalog.models import Module
from coursesite.extensions import db
from coursesite.learning.progress import COMPLETION_SHARE, completion, completions, completions_for_users, is_complete
from coursesite.models_base import as_utc
from tests.factories import make_module, make_user, watch
from tests.learning.progress_fixtures import add_lecture

MORNING = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def module(app) -> Module:
    module = make_module("three-talks", "Three talks")
    for position, (slug, minutes) in enumerate((("one", 10), ("two", 20), ("three", 30)), start=1):
        add_lecture(module, slug, position, duration=minutes * 60)
    return module


def lectures(module: Module):
    return {lecture.slug: lecture for lecture in module.lectures}


def test_the_rule_is_ninety_percent_of_the_duration():
    assert COMPLETION_SHARE == 0.9
    assert is_complete(540, 600) and not is_complete(539.9, 600)


def test_nothing_played_is_nothing_complete(module):
    result = completion(make_user().id, module)
    assert [item.percent_covered for item in result.lectures] == [0, 0, 0]
    assert result.completed_count == 0 and result.percent == 0 and not result.complete
    assert result.next_lecture.slug == "one" and result.resume is None


def test_partial_progress_per_lecture_and_for_the_module(module):
    user = make_user()
    talks = lectures(module)
    watch(user, talks["one"], at=MORNING)
    watch(user, talks["two"], 0.5, at=MORNING + timedelta(hours=1))
    result = completion(user.id, module)
    one, two, three = result.lectures
    assert one.complete and one.percent_covered == 100 and one.completed_at == MORNING
    assert not two.complete and two.percent_covered == 50 and two.completed_at is None
    assert two.first_played == two.last_played == MORNING + timedelta(hours=1)
    assert three.percent_covered == 0 and three.first_played is None
    assert result.completed_count == 1
    assert result.percent == round(100 * (600 + 600) / 3600, 1)  # durations weigh in
    assert result.next_lecture.slug == "two" and result.resume.slug == "two"
    assert not result.complete and result.completed_at is None


def test_a_module_is_complete_when_every_lecture_is_and_dates_from_the_last(module):
    user = make_user()
    for hours, lecture in enumerate(module.lectures):
        watch(user, lecture, 0.95, at=MORNING + timedelta(hours=hours))
    result = completion(user.id, module)
    assert result.complete and result.completed_count == 3 and result.next_lecture is None
    assert result.completed_at == MORNING + timedelta(hours=2)


def test_a_lecture_below_the_share_is_not_complete(module):
    user = make_user()
    watch(user, lectures(module)["one"], 0.89)
    assert not completion(user.id, module).lectures[0].complete


def test_completions_reads_many_modules_in_one_query(module, count_queries):
    other = make_module("other-talks", "Other talks")
    add_lecture(other, "solo", 1)
    user = make_user()
    watch(user, lectures(module)["one"])
    watch(user, other.lectures[0], 0.3)
    loaded = list(db.session.scalars(select(Module).where(Module.id.in_([module.id, other.id]))
                                     .options(selectinload(Module.lectures))))
    user_id = user.id
    with count_queries() as counter:
        result = completions(user_id, loaded)
    assert counter.count == 1
    assert result[module.id].completed_count == 1 and result[other.id].lectures[0].percent_covered == 30


def test_completions_loads_missing_lectures_in_one_more_query(module, count_queries):
    user = make_user()
    user_id = user.id
    db.session.expire_all()
    fresh = db.session.get(Module, module.id)
    assert fresh.title  # the module row itself is loaded; its lectures are not
    with count_queries() as counter:
        completions(user_id, [fresh])
    assert counter.count == 2


def test_completions_for_users_reads_everyone_in_one_query(module, count_queries):
    people = [make_user(f"learner{n}@example.org") for n in range(5)]
    for share, person in zip((1.0, 0.5, 0.0, 0.95, 0.2), people, strict=True):
        if share:
            for lecture in module.lectures:
                watch(person, lecture, share)
    ids = [person.id for person in people]
    lectures_loaded = module.lectures
    with count_queries() as counter:
        result = completions_for_users(ids, module)
    assert counter.count == 1
    assert len(lectures_loaded) == 3
    assert [result[user_id].complete for user_id in ids] == [True, False, False, True, False]
    assert result[ids[1]].percent == 50 and result[ids[2]].percent == 0


def test_another_learners_progress_is_not_mine(module):
    me, someone = make_user("me@example.org"), make_user("someone@example.org")
    watch(someone, lectures(module)["one"])
    assert completion(me.id, module).completed_count == 0


def test_watch_merges_with_what_was_played_before(module):
    user = make_user()
    talk = lectures(module)["one"]
    watch(user, talk, 0.5, at=MORNING)
    row = watch(user, talk, 0.9, at=MORNING + timedelta(days=1))
    assert row.intervals == [[0, 540]] and row.covered_seconds == 540
    assert as_utc(row.first_played_at) == MORNING and as_utc(row.completed_at) == MORNING + timedelta(days=1)


def test_the_account_export_includes_attendance(module):
    from coursesite.accounts.personal_data import export_account

    user = make_user()
    watch(user, lectures(module)["two"], 0.5, at=MORNING)
    exported = export_account(user)["attendance"]
    assert exported == [{"module": "three-talks", "lecture": "two", "played_intervals": [[0, 600]],
                         "covered_seconds": 600, "last_position": 600, "furthest_position": 600,
                         "seconds_on_task": 600, "first_played_at": MORNING.isoformat(),
                         "last_played_at": MORNING.isoformat(), "completed_at": None}]
