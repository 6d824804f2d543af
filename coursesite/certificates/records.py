"""The sponsor's records of a module for a period, as CSV tables: what a licensing board or the sponsor's approving
body audits (attendance, tests, evaluations, certificates), kept at least 7 years (see docs/evaluations.md).

- ``attendance``: each learner who played a lecture of the module in the period: name, licence, email, lectures
  completed, percent of the module, time on task (``learning.progress.completions_for_users``, the one completion
  rule), first and last played;
- ``attempts``: every attempt started in the period, with its score and result (voided rounds included);
- ``evaluations``: every evaluation saved in the period, with who gave it and every rating;
- ``certificates``: every certificate issued in the period, as its snapshot certifies it, with its status.

Staff download them from /staff/records (coursesite/staff/records.py); every download is in the audit log.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from coursesite.accounts.models import User
from coursesite.assessment.evaluation_reports import Period, export_header, export_rows
from coursesite.assessment.sponsor_records import attempt_records, evaluation_records
from coursesite.catalog.models import Module
from coursesite.certificates.models import Certificate
from coursesite.certificates.services import format_hours
from coursesite.extensions import db
from coursesite.learning.attendance import attendees
from coursesite.learning.progress import completions_for_users


@dataclass(frozen=True)
class RecordTable:
    header: list[str]
    rows: list[list[Any]]


def _hours(seconds: float) -> float:
    return round(seconds / 3600, 2)


def attendance(module: Module, period: Period) -> RecordTable:
    user_ids = attendees(module.id, period.starts_at, period.ends_before)
    users = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(user_ids)))} \
        if user_ids else {}
    done = completions_for_users(user_ids, module)
    rows = []
    for user_id in user_ids:
        user, completion = users[user_id], done[user_id]
        played = [lecture for lecture in completion.lectures if lecture.first_played is not None]
        rows.append([
            user.full_name, user.licence_number, user.licence_jurisdiction, user.email,
            completion.completed_count, len(completion.lectures), completion.percent,
            _hours(completion.seconds_on_task),
            min(lecture.first_played for lecture in played if lecture.first_played) if played else None,
            max(lecture.last_played for lecture in played if lecture.last_played) if played else None,
            completion.completed_at,
            "; ".join(f"{lecture.title}: {lecture.percent_covered:g}% covered, "
                      f"{_hours(lecture.seconds_on_task)} h on task{', complete' if lecture.complete else ''}"
                      for lecture in completion.lectures),
        ])
    return RecordTable(["name", "licence_number", "licence_jurisdiction", "email", "lectures_completed",
                        "lectures", "percent_of_module", "hours_on_task", "first_played", "last_played",
                        "module_completed_at", "per_lecture"], rows)


def attempts(module: Module, period: Period) -> RecordTable:
    rows = [[record.full_name, record.licence_number, record.email, record.attempt_id, record.number,
             record.started_at, record.submitted_at, record.status, record.score, record.pass_percent,
             record.passed, record.voided_at, record.voided_reason]
            for record in attempt_records(module.id, period)]
    return RecordTable(["name", "licence_number", "email", "attempt_id", "attempt_number", "started_at",
                        "submitted_at", "status", "score_percent", "pass_mark_percent", "passed", "voided_at",
                        "voided_reason"], rows)


def evaluations(module: Module, period: Period) -> RecordTable:
    """Who evaluated, then the columns of the staff's evaluation export (every rating and the comments)."""
    people = {record.evaluation.id: record for record in evaluation_records(module.id, period)}
    rows = []
    for row in export_rows(module, period):
        record = people.get(row[0])
        rows.append([record.full_name if record else "", record.email if record else "",
                     record.evaluation.attempt_id if record else None, *row])
    return RecordTable(["name", "email", "attempt_id", *export_header(module)], rows)


def certificates(module: Module, period: Period) -> RecordTable:
    issued = db.session.scalars(
        select(Certificate).where(Certificate.module_id == module.id, *period.conditions(Certificate.issued_at))
        .order_by(Certificate.sequence))
    rows = []
    for certificate in issued:
        snapshot: dict[str, Any] = certificate.snapshot or {}
        participant = snapshot.get("participant", {})
        hours = snapshot.get("ce_hours")
        rows.append([
            participant.get("name", ""), participant.get("licence_number", ""),
            participant.get("licence_jurisdiction", ""), certificate.code, certificate.sequence,
            certificate.issued_at, snapshot.get("completed_on", ""),
            format_hours(hours) if isinstance(hours, int | float) else "", snapshot.get("format", ""),
            certificate.status, certificate.revoked_at, certificate.attempt_id,
        ])
    return RecordTable(["name", "licence_number", "licence_jurisdiction", "code", "sequence", "issued_at",
                        "completed_on", "ce_hours", "format", "status", "revoked_at", "attempt_id"], rows)


RECORDS: dict[str, tuple[str, Callable[[Module, Period], RecordTable]]] = {
    "attendance": ("Attendance", attendance),
    "attempts": ("Test attempts", attempts),
    "evaluations": ("Evaluations", evaluations),
    "certificates": ("Certificates", certificates),
}


def record_table(kind: str, module: Module, period: Period) -> RecordTable:
    return RECORDS[kind][1](module, period)
