"""The progress endpoint's rate limit: per account, not per address (the limiter is on in this file only)."""
from __future__ import annotations

import pytest

from tests.factories import grant_access, make_user
from tests.learning.progress_fixtures import *  # noqa: F403 - the fixtures
from tests.learning.progress_fixtures import Player


@pytest.fixture
def app_overrides() -> dict:
    return {"RATELIMIT_ENABLED": True, "PROGRESS_RATE_LIMIT": "3/minute"}


def test_reports_are_rate_limited_per_account(app, player, course):
    answers = [player.report([], position=10).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    colleague = make_user("colleague@example.org")
    grant_access(colleague, course)
    assert Player(app, colleague).report([], position=5).status_code == 200  # same address, another account
