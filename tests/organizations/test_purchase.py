"""Buying a seat tier creates the buyer's organisation, its admin membership and a licence, exactly once."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from coursesite.accounts.models import AuditEvent, User
from coursesite.billing.access import has_access
from coursesite.billing.fulfilment import fulfil
from coursesite.billing.gateway import current_gateway
from coursesite.billing.models import Order, OrderLine, PriceTier
from coursesite.billing.services import CheckoutChoice, CheckoutRefused, check_choice
from coursesite.extensions import db
from coursesite.models_base import as_utc, utcnow
from coursesite.organizations.hooks import on_seat_order_paid
from coursesite.organizations.models import Organization, OrganizationMember, SeatLicence
from tests.factories import module_id
from tests.support import buy, only, pay_in_test_mode


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(("tier", "seats", "kind", "name"), [
    ("institutional", 4, "institution", "Northfield Counselling Centre"),
    ("teaching", 10, "teaching", "Eastgate Teaching Seminar"),
])
def test_buying_seats_creates_the_organisation_licence_and_admin_once(app, buyer_client, buyer, sample_module,
                                                                      tier, seats, kind, name):
    success = pay_in_test_mode(buyer_client, tier, seats, organisation_name=name)
    # Fulfilment again, three ways: the success page, the fulfilment itself, and the hook's receiver directly.
    assert buyer_client.get(success).status_code == 200
    order = only(Order)
    fulfil(order.stripe_checkout_session_id, current_gateway())
    on_seat_order_paid(order, line=order.lines[0])
    db.session.commit()

    organization, licence, member = only(Organization), only(SeatLicence), only(OrganizationMember)
    assert (organization.kind, organization.name) == (kind, name)
    assert (member.organization_id, member.user_id, member.role) == (organization.id, buyer.id, "admin")
    assert (licence.organization_id, licence.module_id, licence.seats) == (organization.id, module_id(), seats)
    assert (licence.order_id, licence.source) == (order.id, "order")
    assert as_utc(licence.valid_from) == as_utc(order.paid_at)
    assert as_utc(licence.valid_until) - as_utc(licence.valid_from) == timedelta(days=365)
    assert not has_access(buyer, module_id())  # seats are for the members; the buyer may invite themself
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("organizations.%"))).all()
    assert sorted(actions) == ["organizations.created", "organizations.licence_created"]

    page = buyer_client.get(f"/organizations/{organization.id}").get_data(as_text=True)
    assert name in page and "Invite people" in page
    assert 'href="/organizations"' in buyer_client.get("/account").get_data(as_text=True)


def test_a_second_purchase_in_the_same_name_adds_a_licence_to_that_organisation(app, buyer_client, sample_module):
    pay_in_test_mode(buyer_client, "institutional", 4)
    # The same name typed differently (case, spaces) is the same organisation.
    pay_in_test_mode(buyer_client, "institutional", 6, organisation_name="  northfield   COUNSELLING centre ")
    pay_in_test_mode(buyer_client, "teaching", 10)  # another kind: a teaching group of its own
    assert count(Organization) == 2 and count(OrganizationMember) == 2
    institution = db.session.scalar(select(Organization).where(Organization.kind == "institution"))
    assert institution.name == "Northfield Counselling Centre"
    assert sorted(licence.seats for licence in institution.licences) == [4, 6]


def test_a_purchase_in_another_name_creates_another_organisation(app, buyer_client, buyer, sample_module):
    pay_in_test_mode(buyer_client, "institutional", 4)
    pay_in_test_mode(buyer_client, "institutional", 5, organisation_name="Southbank Family Clinic")
    pay_in_test_mode(buyer_client, "institutional", 7, organisation_name="southbank family clinic")
    assert count(Organization) == 2 and count(OrganizationMember) == 2
    licences = {organization.name: sorted(licence.seats for licence in organization.licences)
                for organization in db.session.scalars(select(Organization))}
    assert licences == {"Northfield Counselling Centre": [4], "Southbank Family Clinic": [5, 7]}
    roles = db.session.scalars(select(OrganizationMember.role).where(OrganizationMember.user_id == buyer.id)).all()
    assert roles == ["admin", "admin"]
    listing = buyer_client.get("/organizations").get_data(as_text=True)
    assert "Northfield Counselling Centre" in listing and "Southbank Family Clinic" in listing


def test_the_account_page_links_organisations_only_for_members(app, buyer_client, sample_module):
    assert 'href="/organizations"' not in buyer_client.get("/account").get_data(as_text=True)
    pay_in_test_mode(buyer_client, "institutional", 4)
    assert 'href="/organizations"' in buyer_client.get("/account").get_data(as_text=True)
    listing = buyer_client.get("/organizations").get_data(as_text=True)
    assert "Northfield Counselling Centre" in listing


def test_the_admin_renames_the_organisation(app, buyer_client, licensed):
    from tests.support import dashboard_url, post_form

    organization, _ = licensed
    url = f"/organizations/{organization.id}/name"
    for bad in ("", "   ", "x" * 201, "Bad\x00name", "Tab\x07bell", "Evil \u202eertneC", "Zero\u200bwidth",
                "\u0958" * 101):  # the last is 101 characters as typed, 202 in NFC as stored
        response = post_form(buyer_client, url, {"name": bad}, dashboard_url(organization))
        assert response.status_code in ((400, 422) if "\x00" in bad else (422,)), bad
        if "\u202e" in bad:
            assert "invisible or control characters" in response.get_data(as_text=True)
        if "\u0958" in bad:
            assert "this text has 202" in response.get_data(as_text=True)
    assert only(Organization).name == "Northfield Counselling Centre"
    response = post_form(buyer_client, url, {"name": "  Northfield   Centre of Counselling "},
                         dashboard_url(organization))
    assert response.status_code == 302
    assert only(Organization).name == "Northfield Centre of Counselling"
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "organizations.renamed")) == 1


@pytest.mark.parametrize(("tier", "name"), [("institutional", "Marguerite Osei-Brandt's institution"),
                                            ("teaching", "Marguerite Osei-Brandt's teaching group")])
def test_an_order_without_an_organisation_name_names_it_after_the_buyer(app, buyer, sample_module, tier, name):
    order = Order(reference=f"manual-{tier}", user_id=buyer.id, module_id=module_id(), status="paid",
                  amount_subtotal=0, amount_total=0, paid_at=utcnow())
    line = OrderLine(position=1, tier_code=tier, name=tier, grants="seats", quantity=12, unit_amount=0,
                     access_days=30, amount_total=0)
    order.lines.append(line)
    db.session.add(order)
    db.session.flush()
    on_seat_order_paid(order, line=line)
    db.session.commit()
    assert only(Organization).name == name
    licence = only(SeatLicence)
    assert licence.seats == 12 and as_utc(licence.valid_until) - as_utc(licence.valid_from) == timedelta(days=30)


def test_renaming_checks_the_name_as_stored(app, buyer, licensed):
    """The service's own rules, whoever calls it: invisible characters and the NFC length are refused."""
    from coursesite.organizations.services import SeatError, rename

    organization, _ = licensed
    organization = db.session.merge(organization)
    for bad, message in (("Evil \u202eertneC", "invisible or control characters"),
                         ("\u0958" * 101, "this one has 202")):
        with pytest.raises(SeatError, match=message):
            rename(organization, bad, buyer)
    db.session.rollback()
    rename(organization, "Cafe\u0301  Centre \u0645\u200c\u06cc", buyer)  # a joiner some scripts need is kept
    assert only(Organization).name == "Caf\u00e9 Centre \u0645\u200c\u06cc"


@pytest.mark.parametrize("typed", ["Evil \u202eertneC", "Zero\u200bwidth Centre", "Bell\x07 Clinic", "Tab\x1b[31m Red"])
def test_the_organisation_name_typed_at_checkout_follows_the_name_rules(app, buyer_client, sample_module, typed):
    """The rule of registration and renaming (coursesite/text.py), in the form and in the service behind it."""
    response = buy(buyer_client, "institutional", quantity="4", organisation_name=typed)
    assert response.status_code == 422
    assert "Remove the invisible or control characters" in response.get_data(as_text=True)
    assert count(Order) == 0 and count(Organization) == 0
    tier = db.session.scalar(select(PriceTier).where(PriceTier.code == "institutional"))
    with pytest.raises(CheckoutRefused, match="invisible or control characters"):
        check_choice(db.session.scalar(select(User)), tier, CheckoutChoice(quantity=4, organisation_name=typed))
