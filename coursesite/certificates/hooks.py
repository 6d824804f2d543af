"""Receivers of assessment's signals (coursesite/assessment/signals.py), connected once by ``create_app``.

``evaluation_saved`` is sent inside the evaluation's transaction, before its commit: the certificate is issued (and
its mail queued) in that same transaction, so it exists exactly when the evaluation does.
"""
from __future__ import annotations

from typing import Any

from coursesite.assessment.signals import evaluation_saved
from coursesite.certificates.services import issue_certificate


def on_evaluation_saved(_sender: Any, *, user_id: int, module_id: int, attempt_id: int, **_extra: Any) -> None:
    issue_certificate(user_id, module_id, attempt_id)


def connect_assessment_hooks() -> None:
    evaluation_saved.connect(on_evaluation_saved)
