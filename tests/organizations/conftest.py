"""Organisations are tested end to end: seats are bought through the TEST MODE checkout (or, for refunds, the Stripe
stub), invitations arrive by real SMTP (the ``mailbox``). Helpers: tests/factories.py and tests/support.py."""
from __future__ import annotations

import pytest

from coursesite.accounts.models import User
from coursesite.organizations.models import Organization, SeatLicence
from tests.clients import IsolatedClient
from tests.factories import make_user
from tests.support import login_as, only, pay_in_test_mode


@pytest.fixture
def app_overrides() -> dict:
    return {}  # no Stripe keys: the TEST MODE checkout


@pytest.fixture(autouse=True)
def isolated_clients(app):
    app.test_client_class = IsolatedClient


@pytest.fixture
def buyer(app) -> User:
    return make_user("buyer@example.org", full_name="Marguerite Osei-Brandt")


@pytest.fixture
def buyer_client(app, buyer):
    return login_as(app, buyer)


@pytest.fixture
def licensed(buyer_client, sample_module) -> tuple[Organization, SeatLicence]:
    """The buyer's institution with a 4-seat licence of the sample module, bought in test mode."""
    pay_in_test_mode(buyer_client, "institutional", 4)
    return only(Organization), only(SeatLicence)
