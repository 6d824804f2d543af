"""Billing tests talk to a Stripe-compatible stub on loopback through the real SDK (see stripe_stub.py)."""
from __future__ import annotations

import re

import pytest
from flask import g
from sqlalchemy import select

from coursesite.accounts.models import User
from coursesite.billing.models import Order
from coursesite.catalog.models import Module
from coursesite.extensions import db
from tests.billing.stripe_stub import SECRET_KEY, WEBHOOK_SECRET, StripeStub
from tests.clients import LoginClient


@pytest.fixture(scope="session")
def stripe_server():
    server = StripeStub().start()
    yield server
    server.stop()


@pytest.fixture
def stub(stripe_server) -> StripeStub:
    stripe_server.reset()
    return stripe_server


@pytest.fixture
def app_overrides(stripe_server) -> dict:
    # Short timeouts and no SDK retries keep the fault tests fast.
    return {"STRIPE_SECRET_KEY": SECRET_KEY, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": stripe_server.url, "STRIPE_TIMEOUT_SECONDS": 0.5, "STRIPE_MAX_NETWORK_RETRIES": 0}


def make_user(email: str = "learner@example.org", role: str = "learner") -> User:
    user = User(email=email, password_hash="x", full_name="Zoë Łukasiewicz-Ōtsuka", role=role)
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def learner(app) -> User:
    return make_user()


def login(app, user):
    """A client logged in as ``user``. The ``app`` fixture keeps one app context (and so one ``g``) for the whole
    test, and Flask-Login (the user) and Flask-WTF (the CSRF token) cache in ``g``: forget both, or the previous
    client's stick."""
    g.pop("_login_user", None)
    g.pop("csrf_token", None)
    app.test_client_class = LoginClient
    return app.test_client(user=user)


@pytest.fixture
def learner_client(app, learner):
    return login(app, learner)


def module_id(slug: str = "sample-module") -> int:
    return db.session.scalar(select(Module.id).where(Module.slug == slug))


def csrf_token(client, url: str = "/checkout/sample-module/self_funded") -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def buy(client, tier: str = "self_funded", slug: str = "sample-module", **fields):
    """POST the buy form as the pricing box does; returns the response (a 303 to Checkout when accepted)."""
    data = {"csrf_token": csrf_token(client)}
    data.update(fields)
    return client.post(f"/checkout/{slug}/{tier}", data=data)


def only_order() -> Order:
    db.session.expire_all()
    orders = db.session.scalars(select(Order)).all()
    assert len(orders) == 1, orders
    return orders[0]


def post_event(client, stub, event_type: str, obj: dict, event_id: str | None = None, secret: str = WEBHOOK_SECRET):
    payload = stub.event(event_type, obj, event_id)
    return client.post("/billing/stripe/webhook", data=payload,
                       headers={"Stripe-Signature": stub.sign(payload, secret), "Content-Type": "application/json"})
