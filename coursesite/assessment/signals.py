"""What the assessment package tells the packages above it (certificates), as blinker signals.

Receivers run inside the sender's transaction: they add rows and never commit, so their effect exists exactly when
the sender's does (docs/architecture.md, "Signals").
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

test_passed = _signals.signal("test-passed")
"""A learner passed a module's test. Sent by ``coursesite.assessment.attempts.submit_attempt`` after grading, inside
its transaction. ``sender``: the assessment package's name (``"coursesite.assessment"``); keywords ``user_id``,
``module_id``, ``attempt_id`` (the graded, passed attempt)."""

evaluation_saved = _signals.signal("evaluation-saved")
"""A learner saved the course evaluation of a passed test. Sent by ``coursesite.assessment.evaluation`` inside its
transaction, before the commit, so the certificate is issued in the same transaction. ``sender``: the package's name
(``"coursesite.assessment"``); keywords ``user_id``, ``module_id``, ``attempt_id``, ``evaluation_id``."""

SENDER = "coursesite.assessment"
