"""What an organisation's dashboard shows about each seated member's learning on the licence's module.

Progress comes from the learning package's one completion rule (``learning.progress.completions_for_users``): the
lectures completed and the percent of the module, never notes, playback positions or searches. The test and the
certificate belong to packages above this one (assessment, certificates), which organizations may not import:
``create_app`` lists their columns in ``app.extensions["organization_member_columns"]``, each a
:data:`MemberColumn`, a callable ``(user ids, module id) -> (heading, {user id: html})`` that answers for every
member of a licence at once, in a fixed number of queries, and shows a status, never answers or evaluations.

The queries per dashboard are constant in the number of members: per licence, one for the module's lectures, one
for the members' progress, and each column's own.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from flask import current_app
from markupsafe import Markup

from coursesite.learning.progress import completions_for_users
from coursesite.organizations.services import LicenceSummary

MemberColumn = Callable[[Sequence[int], int], tuple[str, Mapping[int, Markup]]]


@dataclass(frozen=True)
class MemberProgress:
    completed: int
    lectures: int
    percent: float


@dataclass(frozen=True)
class LicenceProgress:
    """Per active seat holder (by user id): progress, and one cell per extra column (in ``headings`` order)."""

    progress: dict[int, MemberProgress] = field(default_factory=dict)
    headings: list[str] = field(default_factory=list)
    cells: dict[int, list[Markup]] = field(default_factory=dict)


def member_columns() -> list[MemberColumn]:
    columns: list[MemberColumn] = current_app.extensions.get("organization_member_columns", [])
    return columns


def seated_user_ids(summary: LicenceSummary) -> list[int]:
    """The members who hold an accepted seat on the licence (invited and revoked seats show no learning)."""
    return [seat.user_id for seat in summary.seats if seat.status == "active" and seat.user_id is not None]


def licence_progress(summary: LicenceSummary) -> LicenceProgress:
    user_ids = seated_user_ids(summary)
    module = summary.licence.module
    completions = completions_for_users(user_ids, module)
    progress = {user_id: MemberProgress(done.completed_count, len(done.lectures), done.percent)
                for user_id, done in completions.items()}
    headings: list[str] = []
    cells: dict[int, list[Markup]] = {user_id: [] for user_id in user_ids}
    for column in member_columns():
        heading, by_user = column(user_ids, module.id)
        headings.append(heading)
        for user_id in user_ids:
            cells[user_id].append(by_user.get(user_id, Markup("—")))
    return LicenceProgress(progress, headings, cells)


def dashboard_progress(summaries: Sequence[LicenceSummary]) -> dict[int, LicenceProgress]:
    """Each licence's progress, by licence id."""
    return {summary.licence.id: licence_progress(summary) for summary in summaries}
