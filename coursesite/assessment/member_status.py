"""The organisation dashboard's "Test" column (``organization_member_columns``, filled by ``create_app``): each
member's status with the module's test, as text: not started, in progress, attempts used, passed. Never scores or
answers."""
from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from coursesite.assessment.services import TestStatus, test_statuses


def describe(status: TestStatus) -> str:
    used = f"{status.attempts_used} of {status.attempts_allowed} attempts used"
    if status.state == "passed":
        when = status.passed_at.strftime("%-d %b %Y") if status.passed_at else ""
        return f"Passed {when}".strip()
    if status.state == "in_progress":
        return f"In progress ({used})"
    if status.state == "locked":
        return f"No attempts left ({used})"
    if status.state == "failed":
        return f"Not passed yet ({used})"
    return "Not started"


def test_column(user_ids: Sequence[int], module_id: int) -> tuple[str, dict[int, Markup]]:
    statuses = test_statuses(list(user_ids), module_id)
    return "Test", {user_id: Markup.escape(describe(status)) for user_id, status in statuses.items()}


test_column.__test__ = False  # type: ignore[attr-defined]  # pytest: a service, not a test
