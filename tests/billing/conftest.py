"""Billing tests talk to a Stripe-compatible stub on loopback through the real SDK (see stripe_stub.py); the
``stripe_server`` and ``stub`` fixtures live in the root conftest, the helpers in tests/factories.py and
tests/support.py."""
from __future__ import annotations

import pytest

from coursesite.accounts.models import User
from tests.factories import make_user
from tests.stripe_stub import app_settings
from tests.support import login_as


@pytest.fixture
def app_overrides(stripe_server) -> dict:
    return app_settings(stripe_server.url)


@pytest.fixture
def learner(app) -> User:
    return make_user()


@pytest.fixture
def learner_client(app, learner):
    return login_as(app, learner)
