"""Attendance: what each learner has played of each lecture, and when a lecture and a module count as complete.

This module is the ONE home of the completion rule (:data:`COMPLETION_SHARE`); the module home, "My learning", the
organisation dashboard, the CE test and the sponsor records all ask :func:`completion`, :func:`completions` or
:func:`completions_for_users`.

**Reports.** The player (static/js/progress.js) reports, every few seconds and on pause or leave, the media spans it
played since its previous report, its position, playback rate and whether the page was visible
(:class:`Report`, parsed by :func:`parse_report`). :func:`record_report` folds a report into the learner's one
:class:`~coursesite.learning.models.LectureProgress` row for the lecture:

- the spans are clamped to ``[0, duration]`` and merged, then added to the stored union (intervals.py), so replaying
  a minute fifty times covers one minute, and a seek covers nothing (only played spans are reported). A new
  isolated span shorter than :data:`SHORTEST_SPAN` (1 s) is not kept, so the stored union has at most
  ``duration / SHORTEST_SPAN`` intervals however many scattered specks are reported;
- **real time**: a report counts at most ``PROGRESS_MAX_RATE x min(elapsed, PROGRESS_REPORT_WINDOW)`` seconds of
  media, ``elapsed`` being the wall-clock time since the learner's previous report on that lecture or the last
  media counted on any other (:func:`_previous_report`), so lectures played side by side in several tabs share one
  allowance rather than each counting in full. The first report of a session (no previous report, or none within
  the window) may thus count ``PROGRESS_MAX_RATE x PROGRESS_REPORT_WINDOW`` seconds (by default 2 x 30 s = 60 s; the
  player reports every 10 s). Over any run of reports the media counted is at most ``PROGRESS_MAX_RATE x (wall-clock
  span of the run + window)``. What exceeds the allowance is cut from the end of the report's spans (in media order)
  and not counted;
- **time on task**, only for reports sent while the page was visible: the wall-clock time since the previous report
  when that is within the window; for the first report of a session, the time the reported spans took to play at
  the reported rate, at most the window;
- ``completed_at`` is set once, by the report that brings the union to :data:`COMPLETION_SHARE` of the duration.

Preview lectures record progress like any other for a logged-in learner who may watch them (they can: previews are
open); visitors record nothing (the endpoint answers 404 and the page loads no progress script for them).
"""
from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from coursesite.catalog.models import Lecture, Module
from coursesite.extensions import db
from coursesite.learning import intervals
from coursesite.learning.models import LectureProgress
from coursesite.models_base import as_utc, utcnow

COMPLETION_SHARE = 0.9  # a lecture is complete when the union of played spans covers >= 90% of its duration

# Defaults of the settings (config.py may set them; tests and the browser test raise PROGRESS_MAX_RATE).
DEFAULT_MAX_RATE = 2.0  # PROGRESS_MAX_RATE: the highest playback rate whose media time counts in full
DEFAULT_REPORT_WINDOW = 30.0  # PROGRESS_REPORT_WINDOW: seconds of wall clock one report may account for at most
MAX_INTERVALS = 100  # spans in one report (the player sends a handful)
MAX_BODY_BYTES = 16 * 1024  # a report's body
MAX_PLAYBACK_RATE = 16.0  # what browsers allow; a report claiming more is refused
SHORTEST_SPAN = 1.0  # a new isolated played span shorter than this is not kept (see intervals.without_specks)
RESUME_TAIL_SECONDS = 5.0
MOMENT_ZERO = datetime.min.replace(tzinfo=UTC)  # a lecture left within its last seconds resumes from the start


def is_complete(covered_seconds: float, duration_seconds: float) -> bool:
    """THE completion rule: the union of played spans covers at least COMPLETION_SHARE of the duration. A lecture
    without duration has nothing to watch and is complete."""
    return duration_seconds <= 0 or covered_seconds >= COMPLETION_SHARE * duration_seconds


def percent_covered(covered_seconds: float, duration_seconds: float) -> float:
    """The share of a lecture the union covers, 0..100 to a tenth (a lecture without duration: 100)."""
    if duration_seconds <= 0:
        return 100.0
    return round(100 * min(covered_seconds, duration_seconds) / duration_seconds, 1)


# Reading progress -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LectureCompletion:
    lecture_id: int
    slug: str
    title: str
    duration_seconds: float
    percent_covered: float  # 0..100
    complete: bool
    completed_at: datetime | None
    first_played: datetime | None
    last_played: datetime | None
    seconds_on_task: float
    last_position: float


@dataclass(frozen=True)
class ModuleCompletion:
    module_id: int
    lectures: list[LectureCompletion]
    completed_count: int
    percent: float  # share of the module's total duration covered, 0..100
    complete: bool  # every lecture complete (a module without lectures is not)
    completed_at: datetime | None  # when the last lecture completed, if complete
    next_lecture: LectureCompletion | None  # the first incomplete lecture, in module order
    resume: LectureCompletion | None  # the lecture played most recently (with its last_position), if any
    seconds_on_task: float = 0.0  # the lectures' time on task, summed


def _optional_utc(moment: datetime | None) -> datetime | None:
    return as_utc(moment) if moment is not None else None


class LectureFacts(Protocol):
    """What the rule needs of a lecture: a :class:`~coursesite.catalog.models.Lecture`, or the same facts as plain
    data (a page cached with them, see :func:`completion_of_lectures`)."""

    @property
    def id(self) -> int: ...
    @property
    def slug(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def duration_seconds(self) -> float: ...


def _lecture_completion(lecture: LectureFacts, row: LectureProgress | None) -> LectureCompletion:
    duration = lecture.duration_seconds
    covered = min(row.covered_seconds, duration) if row is not None else 0.0
    complete = (row is not None and row.completed_at is not None) or duration <= 0
    return LectureCompletion(
        lecture_id=lecture.id, slug=lecture.slug, title=lecture.title, duration_seconds=duration,
        percent_covered=percent_covered(covered, duration),
        complete=complete,
        completed_at=_optional_utc(row.completed_at) if row is not None else None,
        first_played=_optional_utc(row.first_played_at) if row is not None else None,
        last_played=_optional_utc(row.last_played_at) if row is not None else None,
        seconds_on_task=row.seconds_on_task if row is not None else 0.0,
        last_position=row.last_position if row is not None else 0.0,
    )


def _module_completion(module_id: int, lectures: Sequence[LectureFacts],
                       rows: Mapping[int, LectureProgress]) -> ModuleCompletion:
    items = [_lecture_completion(lecture, rows.get(lecture.id)) for lecture in lectures]
    total = sum(item.duration_seconds for item in items)
    covered = sum(item.duration_seconds * item.percent_covered / 100 for item in items)
    complete = bool(items) and all(item.complete for item in items)
    finished = [item.completed_at for item in items if item.completed_at is not None]
    played = [item for item in items if item.last_played is not None]
    return ModuleCompletion(
        module_id=module_id,
        lectures=items,
        completed_count=sum(item.complete for item in items),
        percent=round(100 * covered / total, 1) if total > 0 else (100.0 if complete else 0.0),
        complete=complete,
        completed_at=max(finished) if complete and finished else None,
        next_lecture=next((item for item in items if not item.complete), None),
        resume=max(played, key=lambda item: item.last_played or MOMENT_ZERO) if played else None,
        seconds_on_task=sum(item.seconds_on_task for item in items),
    )


def _lectures_of(modules: Sequence[Module]) -> dict[int, list[Lecture]]:
    """Each module's lectures in order: those already loaded, the rest in one query."""
    loaded = {module.id: list(module.lectures) for module in modules if "lectures" in module.__dict__}
    missing = [module.id for module in modules if module.id not in loaded]
    for module_id in missing:
        loaded[module_id] = []
    if missing:
        for lecture in db.session.scalars(select(Lecture).where(Lecture.module_id.in_(missing))
                                          .order_by(Lecture.module_id, Lecture.position)):
            loaded[lecture.module_id].append(lecture)
    return loaded


def _rows(user_ids: Collection[int], lecture_ids: Collection[int]) -> dict[tuple[int, int], LectureProgress]:
    if not user_ids or not lecture_ids:
        return {}
    rows = db.session.scalars(select(LectureProgress).where(LectureProgress.user_id.in_(user_ids),
                                                            LectureProgress.lecture_id.in_(lecture_ids)))
    return {(row.user_id, row.lecture_id): row for row in rows}


def completion(user_id: int, module: Module) -> ModuleCompletion:
    """How far ``user_id`` is through ``module`` (its lectures loaded here when they are not): one query for the
    progress."""
    return completions(user_id, [module])[module.id]


def has_attendance(user_id: int, module_id: int) -> bool:
    """Has the learner any attendance on record in the module? Their record stays theirs to read after their access
    ends: it is the evidence a licensing board may ask them for."""
    return db.session.scalar(
        select(LectureProgress.id).join(Lecture, Lecture.id == LectureProgress.lecture_id)
        .where(LectureProgress.user_id == user_id, Lecture.module_id == module_id).limit(1)) is not None


def completions(user_id: int, modules: Sequence[Module]) -> dict[int, ModuleCompletion]:
    """:func:`completion` for many modules, by module id: one query for the progress (one more for the lectures of
    modules whose lectures are not loaded)."""
    lectures = _lectures_of(modules)
    rows = _rows([user_id], [lecture.id for items in lectures.values() for lecture in items])
    return {module.id: _module_completion(module.id, lectures[module.id],
                                          {lecture.id: rows[user_id, lecture.id] for lecture in lectures[module.id]
                                           if (user_id, lecture.id) in rows})
            for module in modules}


def completion_of_lectures(user_id: int, module_id: int, lectures: Sequence[LectureFacts]) -> ModuleCompletion:
    """:func:`completion` from the module's lectures (in order) as plain facts, for a page that has them cached (the
    catalogue's module page, coursesite/learning/module_home.py): one query, for the progress. (H5)"""
    rows = _rows([user_id], [lecture.id for lecture in lectures])
    return _module_completion(module_id, lectures, {lecture.id: rows[user_id, lecture.id] for lecture in lectures
                                                    if (user_id, lecture.id) in rows})


def completions_for_users(user_ids: Sequence[int], module: Module) -> dict[int, ModuleCompletion]:
    """:func:`completion` of one module for many learners (organisation dashboard, sponsor records), by user id: one
    query for the progress."""
    lectures = _lectures_of([module])[module.id]
    rows = _rows(user_ids, [lecture.id for lecture in lectures])
    return {user_id: _module_completion(module.id, lectures,
                                        {lecture.id: rows[user_id, lecture.id] for lecture in lectures
                                         if (user_id, lecture.id) in rows})
            for user_id in user_ids}


# Recording reports ----------------------------------------------------------------------------------------------

class ReportError(ValueError):
    """A report the endpoint refuses (400), with a message for the JSON answer."""


@dataclass(frozen=True)
class Report:
    intervals: list[tuple[float, float]]  # played since the previous report, each start <= end (not yet clamped)
    position: float | None  # the media time now (not yet clamped)
    rate: float  # the playback rate the spans were played at
    visible: bool  # was the page visible


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ReportError(f"{name} must be a number.")
    number = float(value)
    if not math.isfinite(number):
        raise ReportError(f"{name} must be a finite number.")
    return number


def parse_report(payload: Any) -> Report:
    """A report from the decoded JSON body, or :class:`ReportError`. Negative and past-the-end times are accepted
    here and clamped when recorded; NaN, infinities, reversed spans, too many spans or a wrong shape are refused."""
    if not isinstance(payload, dict):
        raise ReportError("The report must be a JSON object.")
    raw_intervals = payload.get("intervals", [])
    if not isinstance(raw_intervals, list):
        raise ReportError("intervals must be a list of [start, end] pairs.")
    if len(raw_intervals) > MAX_INTERVALS:
        raise ReportError(f"A report may hold at most {MAX_INTERVALS} intervals.")
    spans: list[tuple[float, float]] = []
    for item in raw_intervals:
        if not isinstance(item, list) or len(item) != 2:
            raise ReportError("intervals must be a list of [start, end] pairs.")
        start, end = _number(item[0], "An interval's start"), _number(item[1], "An interval's end")
        if start > end:
            raise ReportError("An interval ends before it starts.")
        spans.append((start, end))
    position = payload.get("position")
    rate = _number(payload.get("rate", 1.0), "rate")
    if not 0 < rate <= MAX_PLAYBACK_RATE:
        raise ReportError(f"rate must be above 0 and at most {MAX_PLAYBACK_RATE:g}.")
    visible = payload.get("visible", True)
    if not isinstance(visible, bool):
        raise ReportError("visible must be true or false.")
    return Report(intervals=spans, position=None if position is None else _number(position, "position"),
                  rate=rate, visible=visible)


def parse_report_text(body: str | bytes) -> Report:
    """:func:`parse_report` of a JSON text (a beacon's form field, or a request body)."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise ReportError("The report is not valid JSON.") from None
    return parse_report(payload)


@dataclass(frozen=True)
class ReportOutcome:
    counted_seconds: float  # media seconds of this report that counted (after clamping and the real-time cap)
    capped: bool  # did the real-time rule cut the report
    progress: LectureProgress  # the row (expired by the commit: reading it again costs a query)
    # What the player is answered, as committed: read before the commit expired the row (and the lecture, whose
    # reload would bring the whole transcript back), so the answer costs no query after the write.
    covered_seconds: float
    last_position: float
    complete: bool


def _settings() -> tuple[float, float]:
    config = current_app.config
    return (float(config.get("PROGRESS_MAX_RATE", DEFAULT_MAX_RATE)),
            float(config.get("PROGRESS_REPORT_WINDOW", DEFAULT_REPORT_WINDOW)))


ATTEMPTS = 5  # a report that loses a race with another report of the same learner reads again, this many times


class ReportConflict(RuntimeError):
    """The learner's row kept changing under the report (ATTEMPTS races lost in a row)."""


def _previous_report(user_id: int, row: LectureProgress, now: datetime) -> datetime | None:
    """Where the wall-clock time a report may account for starts: the learner's previous report on this lecture
    (``row``; a report whose clock reads earlier than that counts nothing), or the last media counted on any other
    lecture up to ``now``, whichever is later. So lectures played side by side in several tabs share one allowance,
    while a report that played nothing elsewhere (a paused tab shown or hidden) takes nothing from it. A report on
    another lecture stamped later than ``now`` (a server whose clock runs ahead; the demo's replayed evenings) is
    passed over. One statement (the unique (user_id, lecture_id) index serves it)."""
    others = _optional_utc(db.session.scalar(
        select(func.max(LectureProgress.last_played_at))
        .where(LectureProgress.user_id == user_id, LectureProgress.last_played_at <= now)))
    own = _optional_utc(row.last_report_at)
    return max((moment for moment in (own, others) if moment is not None), default=None)


def _apply(row: LectureProgress, report: Report, duration: float, now: datetime, max_rate: float,
           window: float, previous: datetime | None) -> tuple[float, float]:
    """Fold ``report`` into ``row`` (not yet committed), ``previous`` being the learner's latest report on any
    lecture: the media seconds counted, and those played."""
    elapsed = max(0.0, (now - previous).total_seconds()) if previous is not None else math.inf
    in_session = elapsed <= window
    played = intervals.union_within(report.intervals, duration)
    counted = intervals.truncate(played, max_rate * min(elapsed, window))
    before = [(float(start), float(end)) for start, end in row.intervals]
    union = intervals.without_specks(before, intervals.merge([*before, *counted]), SHORTEST_SPAN)
    counted = [(start, end) for start, end in counted  # what the union kept (new isolated specks are not)
               if any(low <= start and end <= high for low, high in union)]
    if counted:
        row.intervals = [[start, end] for start, end in union]
        row.covered_seconds = min(duration, intervals.length(union))
        row.furthest_position = max(row.furthest_position, counted[-1][1])
        row.first_played_at = row.first_played_at or now
        row.last_played_at = now
    if report.position is not None:
        row.last_position = min(max(report.position, 0.0), duration)
    if report.visible:
        row.seconds_on_task += elapsed if in_session else min(intervals.length(played) / report.rate, window)
    row.last_report_at = now
    if row.completed_at is None and counted and is_complete(row.covered_seconds, duration):
        row.completed_at = now
    return intervals.length(counted), intervals.length(played)


@cache
def _learners_row() -> Select[LectureProgress]:
    """The learner's row on a lecture (``:user_id``, ``:lecture_id``), built once: read by every report."""
    return select(LectureProgress).where(LectureProgress.user_id == bindparam("user_id"),
                                         LectureProgress.lecture_id == bindparam("lecture_id"))


def record_report(user_id: int, lecture: Lecture, report: Report, *, now: datetime | None = None) -> ReportOutcome:
    """Fold ``report`` into the learner's progress on ``lecture`` (see the module's docstring for the rules) and
    commit. The caller has checked that the learner may watch the lecture.

    Two reports of one learner may arrive at once (a beacon and a timer). The row is read without a lock and written
    back only if no other report changed it meanwhile (SQLAlchemy's version counter: ``UPDATE ... WHERE version =
    <read>``); the loser reads again and applies itself to the winner's result. The write transaction is thus one
    statement long, which keeps SQLite's single writer free, and no report is lost or applied twice.
    """
    now = as_utc(now or utcnow())
    max_rate, window = _settings()
    duration, lecture_id = lecture.duration_seconds, lecture.id
    for _attempt in range(ATTEMPTS):
        row = db.session.scalar(_learners_row(), {"user_id": user_id, "lecture_id": lecture_id})
        if row is None:
            row = LectureProgress(user_id=user_id, lecture_id=lecture_id, intervals=[], covered_seconds=0.0,
                                  last_position=0.0, furthest_position=0.0, seconds_on_task=0.0)
            db.session.add(row)
        counted, played = _apply(row, report, duration, now, max_rate, window, _previous_report(user_id, row, now))
        outcome = ReportOutcome(counted_seconds=counted, capped=counted < played, progress=row,
                                covered_seconds=row.covered_seconds, last_position=row.last_position,
                                complete=row.completed_at is not None)
        try:
            db.session.commit()
        except (StaleDataError, IntegrityError):  # another report updated (or created) the row first
            db.session.rollback()
            continue
        return outcome
    raise ReportConflict(f"progress of user {user_id} on lecture {lecture_id} kept changing")


@dataclass(frozen=True)
class PlayerProgress:
    """What the lecture page needs of the learner's progress: where to resume, and whether it is complete."""

    resume_at: float | None
    complete: bool


def left_at_end(position: float, duration: float) -> bool:
    """Was a lecture left at its end (so a return starts it again, or moves on): within its last
    RESUME_TAIL_SECONDS, or its last 5% when it is shorter than 100 s. The one rule of where a learner resumes,
    for the lecture page (:func:`player_progress`) and every "Continue" (coursesite/learning/module_home.py)."""
    return position >= duration - min(RESUME_TAIL_SECONDS, 0.05 * duration)


def player_progress(user_id: int, lecture: Lecture, *, resume: bool = True) -> PlayerProgress:
    """The learner's progress on ``lecture`` for its page (one query). ``resume=False`` (the URL gives ``?t=``)
    leaves the start to the URL. The page resumes from the last position reported, on any device, unless the
    lecture was left at its end (:func:`left_at_end`: it then starts again from the beginning)."""
    found = db.session.execute(
        select(LectureProgress.last_position, LectureProgress.completed_at)
        .where(LectureProgress.user_id == user_id, LectureProgress.lecture_id == lecture.id)
    ).first()
    if found is None:
        return PlayerProgress(resume_at=None, complete=lecture.duration_seconds <= 0)
    position, completed_at = found
    resumable = resume and position > 0 and not left_at_end(position, lecture.duration_seconds)
    return PlayerProgress(resume_at=position if resumable else None,
                          complete=completed_at is not None or lecture.duration_seconds <= 0)
