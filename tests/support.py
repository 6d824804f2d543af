"""What a test does through the site: log in, fill in forms (with their CSRF token), buy, pay, invite.

Rows a test needs before it starts come from ``tests/factories.py``; these helpers go through the routes, as a
person would. Requests run in app contexts of their own (see ``tests/clients.py``): reload what a request changed.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy import select

from coursesite import create_app
from coursesite.accounts.models import User
from coursesite.billing.models import Order
from coursesite.caching import ContentRevision
from coursesite.extensions import db
from coursesite.organizations.models import Organization, Seat, SeatLicence
from tests.clients import LoginClient
from tests.factories import PASSWORD, SAMPLE_MODULE
from tests.stripe_stub import WEBHOOK_SECRET, StripeStub

FIXTURES = Path(__file__).parent / "fixtures"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
BUY_PAGE = f"/checkout/{SAMPLE_MODULE}/self_funded"


# Apps and their database ---------------------------------------------------------------------------------------------

class SharedTemplateCode(BytecodeCache):
    """Compiled templates kept for the whole test session and shared by every app the tests make.

    Each test gets a fresh app, and a fresh app would compile again every template it renders: that was most of a
    short test's time. Jinja checks each entry against its template's source, so an edited template compiles anew.
    """

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = SharedTemplateCode()


def make_app(database_url: str, tmp_path: Path, config_name: str = "testing", **overrides) -> Flask:
    """An app on ``database_url`` with the fixture content, media under ``tmp_path`` and no rate limits."""
    config = {"SQLALCHEMY_DATABASE_URI": database_url, "MEDIA_ROOT": str(tmp_path / "media"),
              "CONTENT_ROOT": str(FIXTURES / "content"), "RATELIMIT_ENABLED": False}
    config.update(overrides)
    app = create_app(config_name, config)
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    return app


def empty_all_tables() -> None:
    """Back to the state the migrations leave: no rows but the seeded content revision."""
    with append_only_triggers_suspended():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.execute(ContentRevision.__table__.insert().values(id=1, number=0))
    db.session.commit()


@contextmanager
def append_only_triggers_suspended() -> Iterator[None]:
    """Clean-up between tests only: the triggers that keep ``audit_events`` append-only (migration c3f1a9e2b7d4)
    step aside inside this transaction, and are back before it commits."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        yield
        connection.execute(sa.text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
        return
    triggers = connection.execute(sa.text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'")).all()
    for name, _sql in triggers:
        connection.execute(sa.text(f'DROP TRIGGER "{name}"'))
    yield
    for _name, sql in triggers:
        connection.execute(sa.text(sql))


# Logging in -------------------------------------------------------------------------------------------------------

def login_as(app: Flask, user: User) -> FlaskClient:
    """A client logged in as ``user`` the way the login form does it (a live server-side login session)."""
    return LoginClient(app, app.response_class, use_cookies=True, user=user)


def submit_login(client: FlaskClient, email: str, password: str = PASSWORD, **extra):
    """The login form, filled in and submitted: for tests of logging in itself (others use :func:`login_as`)."""
    return post_form(client, "/auth/login", {"email": email, "password": password, **extra})


def logged_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


# Forms --------------------------------------------------------------------------------------------------------------

def csrf_token(client: FlaskClient, page: str) -> str:
    """The CSRF token of the form on ``page`` (GET as ``client``, so it belongs to the client's session)."""
    response = client.get(page)
    match = CSRF_INPUT.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {page} ({response.status_code})"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict, page: str | None = None, **kwargs):
    """POST ``data`` to ``url`` with the CSRF token of the form on ``page`` (default: ``url`` itself)."""
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page or url)}, **kwargs)


# Rows as the database has them now ------------------------------------------------------------------------------------

def reload(instance):
    """``instance`` as the database has it now (requests run in their own session)."""
    db.session.refresh(instance)
    return instance


def only(model):
    """The one row of ``model``, read afresh."""
    db.session.expire_all()
    rows = db.session.scalars(select(model)).all()
    assert len(rows) == 1, rows
    return rows[0]


def only_order() -> Order:
    return only(Order)


# Buying ---------------------------------------------------------------------------------------------------------------

def buy(client: FlaskClient, tier: str = "self_funded", slug: str = SAMPLE_MODULE, **fields):
    """POST the buy form as the pricing box does; returns the response (a 303 to Checkout when accepted)."""
    return post_form(client, f"/checkout/{slug}/{tier}", fields, page=BUY_PAGE)


def post_event(client: FlaskClient, stub: StripeStub, event_type: str, obj: dict, event_id: str | None = None,
               secret: str = WEBHOOK_SECRET):
    """A webhook event from the Stripe stub, signed with ``secret``."""
    payload = stub.event(event_type, obj, event_id)
    return client.post("/billing/stripe/webhook", data=payload,
                       headers={"Stripe-Signature": stub.sign(payload, secret), "Content-Type": "application/json"})


ORGANISATION = "Northfield Counselling Centre"
BILLING_ADDRESS = {"billing_name": "Accounts Payable", "line1": "2 Mill Lane", "city": "Leeds",
                   "postal_code": "LS1 4AP", "country": "GB"}


def pay_in_test_mode(client: FlaskClient, tier: str, seats: int, slug: str = SAMPLE_MODULE,
                     organisation_name: str = ORGANISATION) -> str:
    """Buy ``seats`` of ``tier`` in an organisation's name and pay with the test card; returns the success page."""
    response = buy(client, tier, slug, quantity=str(seats), organisation_name=organisation_name)
    assert response.status_code == 303 and response.location.startswith("/checkout/test/"), response.status_code
    paid = post_form(client, response.location, {"card_number": "4242 4242 4242 4242", **BILLING_ADDRESS})
    assert paid.status_code == 302 and "/checkout/success" in paid.location
    return paid.location


# Organisations --------------------------------------------------------------------------------------------------------

def dashboard_url(organization: Organization) -> str:
    return f"/organizations/{organization.id}"


def invite(client: FlaskClient, organization: Organization, licence: SeatLicence, addresses: str):
    return post_form(client, f"/organizations/{organization.id}/invite",
                     {"licence": str(licence.id), "addresses": addresses}, dashboard_url(organization))


def seats() -> dict[str, str]:
    """Every seat's address and status."""
    db.session.expire_all()
    return {seat.email: seat.status for seat in db.session.scalars(select(Seat))}
