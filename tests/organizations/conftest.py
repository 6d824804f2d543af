"""Organisations are tested end to end: seats are bought through the TEST MODE checkout (or, for refunds, the Stripe
stub), invitations arrive by real SMTP (the ``mailbox``), and people log in through the real login form."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from coursesite.accounts.models import User
from coursesite.extensions import db
from coursesite.models_base import utcnow
from coursesite.organizations.models import Organization, Seat, SeatLicence
from tests.accounts.conftest import PASSWORD, csrf_token, login, password_hash
from tests.billing.conftest import buy, stripe_server, stub  # noqa: F401 - fixtures for the refund tests
from tests.clients import IsolatedClient

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def app_overrides() -> dict:
    return {}  # no Stripe keys: the TEST MODE checkout


@pytest.fixture(autouse=True)
def isolated_clients(app):
    app.test_client_class = IsolatedClient


def make_person(email: str, full_name: str = "Ada Testwright", role: str = "learner") -> User:
    user = User(email=email, password_hash=password_hash(), full_name=full_name, profession="Psychologist",
                role=role, confirmed_at=utcnow())
    db.session.add(user)
    db.session.commit()
    return user


def client_of(app, user: User):
    client = app.test_client()
    assert login(client, user.email, PASSWORD).status_code == 302
    return client


@pytest.fixture
def buyer(app) -> User:
    return make_person("buyer@example.org", "Marguerite Osei-Brandt")


@pytest.fixture
def buyer_client(app, buyer):
    return client_of(app, buyer)


ORGANISATION = "Northfield Counselling Centre"
BILLING_ADDRESS = {"billing_name": "Accounts Payable", "line1": "2 Mill Lane", "city": "Leeds",
                   "postal_code": "LS1 4AP", "country": "GB"}


def pay_in_test_mode(client, tier: str, seats: int, slug: str = "sample-module",
                     organisation_name: str = ORGANISATION) -> str:
    """Buy ``seats`` of ``tier`` in an organisation's name and pay with the test card; returns the success page."""
    response = buy(client, tier, slug, quantity=str(seats), organisation_name=organisation_name)
    assert response.status_code == 303 and response.location.startswith("/checkout/test/"), response.status_code
    url = response.location
    paid = client.post(url, data={"csrf_token": csrf_token(client, url), "card_number": "4242 4242 4242 4242",
                                  **BILLING_ADDRESS})
    assert paid.status_code == 302 and "/checkout/success" in paid.location
    return paid.location


def only(model):
    db.session.expire_all()
    rows = db.session.scalars(select(model)).all()
    assert len(rows) == 1, rows
    return rows[0]


@pytest.fixture
def licensed(buyer_client, sample_module):
    """The buyer's institution with a 4-seat licence of the sample module, bought in test mode."""
    pay_in_test_mode(buyer_client, "institutional", 4)
    return only(Organization), only(SeatLicence)


def dashboard_url(organization: Organization) -> str:
    return f"/organizations/{organization.id}"


def post_form(client, url: str, data: dict, page: str, **kwargs):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page)}, **kwargs)


def invite(client, organization: Organization, licence: SeatLicence, addresses: str):
    return post_form(client, f"/organizations/{organization.id}/invite",
                     {"licence": str(licence.id), "addresses": addresses}, dashboard_url(organization))


def seats() -> dict[str, str]:
    db.session.expire_all()
    return {seat.email: seat.status for seat in db.session.scalars(select(Seat))}
