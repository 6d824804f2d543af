"""Billing's part of the data download and of account deletion (coursesite/billing/personal_data.py)."""
from __future__ import annotations

from sqlalchemy import func, select

from coursesite.accounts import passwords
from coursesite.accounts.personal_data import delete_account, export_account
from coursesite.billing.access import grant_entitlement
from coursesite.billing.models import Entitlement, Order, RenewalReminder, TestModeSession
from coursesite.billing.notices import send_renewal_reminders
from coursesite.extensions import db
from tests.factories import module_id
from tests.support import buy, csrf_token, login_as

ADDRESS = {"line1": "1 Harbour Road", "city": "Tromsø", "postal_code": "9008", "country": "NO"}


def orders() -> dict[str, Order]:
    db.session.expire_all()
    return {order.lines[0].tier_code + ("-unpaid" if order.status == "pending" else ""): order
            for order in db.session.scalars(select(Order))}


def pay(client, stub, tier: str, **fields) -> None:
    assert buy(client, tier, **fields).status_code == 303
    session = stub.last_session()
    stub.pay(session["id"], customer_name=fields.pop("customer_name", "Zoë Ł."), address=ADDRESS)
    client.get(f"/checkout/success?session_id={session['id']}")


def test_the_export_lists_orders_entitlements_and_reminders(app, learner_client, learner, stub, mailbox,
                                                            sample_module):
    pay(learner_client, stub, "org_funded", organisation_name="Clinic of the North", customer_name="Accounts")
    assert buy(learner_client, "self_funded", add_certificate="y").status_code == 303  # left unpaid
    grant_entitlement(learner.id, module_id(), kind="access", days=5, source="grant")
    db.session.commit()
    assert send_renewal_reminders().sent == 0  # the grant queues after the paid year: nothing ends soon

    data = export_account(learner)["billing"]
    paid_order, unpaid = sorted(data["orders"], key=lambda order: order["status"])
    assert paid_order["status"] == "paid" and unpaid["status"] == "pending"
    assert paid_order["module"] == "sample-module" and paid_order["lines"][0]["tier"] == "org_funded"
    assert (paid_order["amount_total"], paid_order["currency"], paid_order["lines"][0]["quantity"]) == (
        28000, "usd", 1)
    assert paid_order["organisation_name"] == "Clinic of the North" and paid_order["billing_name"] == "Accounts"
    assert paid_order["billing_address"] == ADDRESS and paid_order["paid_at"]
    assert [line["tier"] for line in unpaid["lines"]] == ["self_funded", "certificate"]
    assert {(e["kind"], e["source"]) for e in data["entitlements"]} == {("access", "order"), ("access", "grant")}
    assert data["renewal_reminders"] == []


def test_the_export_includes_reminders(app, learner, mailbox, sample_module):
    grant_entitlement(learner.id, module_id(), kind="access", days=6, source="grant")
    db.session.commit()
    send_renewal_reminders()
    (reminder,) = export_account(learner)["billing"]["renewal_reminders"]
    assert (reminder["module"], reminder["days_before"]) == ("sample-module", 7)


def test_deletion_keeps_organisation_invoices_and_erases_personal_billing_details(app, learner_client, learner, stub,
                                                                                 mailbox, sample_module):
    pay(learner_client, stub, "org_funded", organisation_name="Clinic of the North", customer_name="Accounts")
    pay(learner_client, stub, "self_funded", customer_name="Zoë Łukasiewicz-Ōtsuka")
    assert buy(learner_client, "institutional", quantity="4", organisation_name="Unpaid Centre").status_code == 303
    grant_entitlement(learner.id, module_id(), kind="access", days=6, source="grant",
                      now=learner.created_at)  # ended; only to have a reminder row below
    db.session.add(RenewalReminder(user_id=learner.id, module_id=module_id(), access_ends_at=learner.created_at,
                                   days_before=7))
    learner.password_hash = passwords.hash_password("a long enough password")
    db.session.commit()
    entitlements = db.session.scalar(select(func.count(Entitlement.id)))

    delete_account(learner, "a long enough password")

    by_tier = orders()
    org = by_tier["org_funded"]
    assert (org.organisation_name, org.billing_name, org.billing_address) == ("Clinic of the North", "Accounts",
                                                                              ADDRESS)
    own = by_tier["self_funded"]
    assert (own.billing_name, own.billing_address) == ("", {})
    assert (own.amount_total, own.status, own.reference) == (26500, "paid", own.reference)
    unpaid = by_tier["institutional-unpaid"]
    assert (unpaid.organisation_name, unpaid.billing_name, unpaid.billing_address) == ("", "", {})
    assert len(by_tier) == 3  # every order is kept for the accounts
    assert db.session.scalar(select(func.count(RenewalReminder.id))) == 0
    assert db.session.scalar(select(func.count(Entitlement.id))) == entitlements


def test_deletion_blanks_the_test_mode_checkout_details(app, learner, sample_module):
    app.config.update(STRIPE_SECRET_KEY=None, STRIPE_WEBHOOK_SECRET=None, STRIPE_API_BASE=None)
    app.extensions.pop("billing_gateway", None)
    client = login_as(app, learner)
    response = buy(client, "org_funded", organisation_name="Clinic")
    url = response.location
    client.post(url, data={"csrf_token": csrf_token(client, url), "card_number": "4242424242424242",
                           "billing_name": "Zoë Ł.", "line1": "1 Road", "city": "Oslo", "postal_code": "0150",
                           "country": "NO"})
    session = db.session.scalar(select(TestModeSession))
    assert session.customer_name == "Zoë Ł."
    learner.password_hash = passwords.hash_password("a long enough password")
    db.session.commit()
    delete_account(learner, "a long enough password")
    db.session.expire_all()
    session = db.session.scalar(select(TestModeSession))
    assert (session.customer_name, session.customer_address) == ("", {})
