"""The interval rules of attendance (coursesite/learning/intervals.py), as properties over many generated reports."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coursesite.learning.intervals import clamp, length, merge, truncate, union_within, without_specks
from coursesite.learning.progress import is_complete, percent_covered

DURATION = 600.0
times = st.floats(min_value=-100, max_value=800, allow_nan=False, allow_infinity=False)
spans = st.tuples(times, times).map(lambda pair: (min(pair), max(pair)))
reports = st.lists(st.lists(spans, max_size=6), max_size=12)


def fold(report_list, duration=DURATION):
    """The stored union after each report in turn, as record_report builds it."""
    union: list = []
    for report in report_list:
        union = merge([*union, *union_within(report, duration)])
    return union


def is_union(union) -> bool:
    """Sorted, disjoint, not touching, every interval of positive length."""
    return all(start < end for start, end in union) and all(
        previous[1] < following[0] for previous, following in itertools.pairwise(union))


@given(reports, st.randoms())
def test_the_order_of_reports_is_irrelevant(report_list, random):
    shuffled = list(report_list)
    random.shuffle(shuffled)
    assert fold(shuffled) == fold(report_list)


@given(reports)
def test_the_union_never_exceeds_the_duration(report_list):
    union = fold(report_list)
    assert is_union(union)
    assert length(union) <= DURATION
    assert all(start >= 0 and end <= DURATION for start, end in union)
    assert 0 <= percent_covered(length(union), DURATION) <= 100


@given(st.floats(min_value=0, max_value=DURATION - 60), st.integers(min_value=1, max_value=60))
def test_replaying_one_minute_many_times_covers_that_minute_only(start, times_played):
    union = fold([[(start, start + 60)]] * times_played)
    assert union == [(start, start + 60)]
    assert length(union) == pytest.approx(60)


@given(st.floats(min_value=0, max_value=DURATION - 1), st.floats(min_value=0, max_value=DURATION - 1))
def test_a_seek_covers_nothing_between_its_ends(played_until, jumped_to):
    """The player reports what it played before a seek and after it, never the jump: nothing between counts."""
    low, high = sorted((played_until, jumped_to))
    union = fold([[(0, low)], [(high, high + 1)]])
    covered_between = sum(max(0.0, min(end, high) - max(start, low)) for start, end in union)
    assert covered_between == 0
    assert length(union) == pytest.approx(low + 1)


def test_seeking_to_the_end_does_not_complete_a_lecture():
    union = fold([[(0, 5)], [(DURATION - 5, DURATION)]])
    assert not is_complete(length(union), DURATION) and percent_covered(length(union), DURATION) < 2


@given(reports)
def test_merging_twice_changes_nothing(report_list):
    union = fold(report_list)
    assert merge(union) == union


@given(st.lists(spans, max_size=8), st.floats(min_value=0, max_value=1000))
def test_truncate_keeps_at_most_the_budget_from_the_start(report, budget):
    union = union_within(report, DURATION)
    kept = truncate(union, budget)
    assert length(kept) <= budget + 1e-9
    assert length(kept) == min(length(union), budget) or abs(length(kept) - min(length(union), budget)) < 1e-6
    assert merge([*union, *kept]) == union  # only parts of the union


def test_clamp_cuts_to_the_lecture_and_drops_what_is_outside():
    assert clamp((-5, 10), 100) == (0, 10)
    assert clamp((90, 120), 100) == (90, 100)
    assert clamp((120, 130), 100) is None
    assert clamp((-10, -1), 100) is None


def test_touching_and_overlapping_spans_join():
    assert merge([(10, 20), (0, 10), (15, 30), (40, 50), (50, 50)]) == [(0, 30), (40, 50)]


def grow(report_list, shortest=1.0, duration=DURATION):
    """The stored union after each report, specks dropped, as record_report builds it."""
    union: list = []
    for report in report_list:
        union = without_specks(union, merge([*union, *union_within(report, duration)]), shortest)
    return union


tiny = st.floats(min_value=0, max_value=DURATION - 1).map(lambda start: (start, start + 0.3))


@given(st.lists(st.lists(st.one_of(spans, tiny), max_size=8), max_size=15))
def test_specks_never_make_a_union_of_more_than_duration_over_shortest_intervals(report_list):
    union = grow(report_list)
    assert is_union(union)
    assert all(end - start >= 1.0 for start, end in union)
    assert len(union) <= DURATION / 1.0


@given(st.lists(st.lists(tiny, min_size=1, max_size=50), max_size=10))
def test_scattered_specks_leave_no_interval_shorter_than_a_second(report_list):
    isolated = [[(start, end) for start, end in report] for report in report_list]
    assert all(end - start >= 1.0 for start, end in grow(isolated))


def test_a_short_span_that_extends_what_was_played_is_kept():
    assert grow([[(0, 10)], [(10, 10.4)]]) == [(0, 10.4)]
    assert grow([[(0, 10)], [(20, 20.4)]]) == [(0, 10)]
