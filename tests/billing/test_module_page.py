"""What billing shows on the catalogue's pages (coursesite/billing/module_page.py): the module page for the person
looking (their access, renewal, the certificate add-on) outside the cached body, and "from" prices on module cards."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from coursesite.billing.access import ModuleHolding, grant_entitlement, module_holding, revoke_entitlement
from coursesite.billing.models import PriceTier
from coursesite.billing.module_page import lowest_access_price, offers_for
from coursesite.extensions import cache, db
from coursesite.models_base import as_utc, utcnow
from tests.factories import grant_access, make_module, make_user, module_id
from tests.support import login_as

MODULE_PAGE = "/modules/sample-module"
FIRST_LECTURE = "/modules/sample-module/lectures/first-steps"
ACCESS_TIERS = ("Self-funded", "Organisation-funded")
SEAT_TIERS = ("Institutional licence", "Teaching licence")


def day(moment) -> str:
    return moment.strftime("%-d %B %Y")


def buttons(page: str) -> set[str]:
    """The submit buttons of the page's main content (the header's search box has its own)."""
    main = page[page.index("<main"):page.index("</main>")]
    return set(re.findall(r'<button type="submit">([^<]+)</button>', main))


def give_certificate(user) -> None:
    grant_entitlement(user.id, module_id(), kind="certificate", days=365, source="grant")
    db.session.commit()


def test_a_visitor_sees_where_the_prices_are_and_buys_the_certificate_only_with_access(client, sample_module):
    page = client.get(MODULE_PAGE).get_data(as_text=True)
    assert '<a href="#pricing-title">See prices</a> <span>from $265 for one learner</span>' in page
    assert page.index("See prices") < page.index("About this module") < page.index('id="pricing-title"')
    assert "You have access" not in page and "Renew" not in page
    assert buttons(page) == {f"Buy: {tier}" for tier in ACCESS_TIERS + SEAT_TIERS}
    assert 'id="tier-certificate"' in page and "$50" in page and "Goes with access" in page
    assert page.count('name="add_certificate"') == 2


def test_a_learner_with_access_sees_until_when_continues_and_renews(app, sample_module):
    learner = make_user()
    window = grant_access(learner)
    page = login_as(app, learner).get(MODULE_PAGE).get_data(as_text=True)
    assert f"You have access until {day(window.valid_until)}." in page
    assert f'<a class="button" href="{FIRST_LECTURE}">Continue' in page and 'href="/learning">My learning' in page
    assert page.index("You have access") < page.index("About this module")
    assert "See prices" not in page and 'href="#pricing-title">Renew, or buy seats for others' in page
    # Access renews from its end; seats stay on sale for others; the certificate is an add-on still for sale.
    assert buttons(page) == ({f"Renew: {tier}" for tier in ACCESS_TIERS} | {f"Buy: {tier}" for tier in SEAT_TIERS}
                             | {"Buy: Test and certificate"})
    assert f"Adds 365 days: access until {day(window.valid_until + timedelta(days=365))}" in page
    assert "Test and certificate: not bought yet." in page and page.count('name="add_certificate"') == 2


def test_a_learner_holding_the_certificate_is_told_so_and_not_offered_it(app, sample_module):
    learner = make_user()
    grant_access(learner)
    give_certificate(learner)
    page = login_as(app, learner).get(MODULE_PAGE).get_data(as_text=True)
    assert "Test and certificate included." in page and "Test and certificate included</strong>" in page
    assert "Buy: Test and certificate" not in buttons(page) and 'name="add_certificate"' not in page


def test_renewals_queued_after_the_current_access_count_and_revoked_windows_do_not(app, sample_module):
    learner = make_user()
    first = grant_access(learner)
    renewal = grant_access(learner)
    client = login_as(app, learner)
    assert f"You have access until {day(renewal.valid_until)}." in client.get(MODULE_PAGE).get_data(as_text=True)
    revoke_entitlement(renewal, "test")
    db.session.commit()
    assert f"You have access until {day(first.valid_until)}." in client.get(MODULE_PAGE).get_data(as_text=True)


def test_a_learner_without_access_or_whose_access_ended_sees_the_visitors_prices(app, sample_module):
    learner = make_user()
    grant_access(learner, days=1, now=utcnow() - timedelta(days=2))
    page = login_as(app, learner).get(MODULE_PAGE).get_data(as_text=True)
    assert "You have access" not in page and "See prices" in page
    assert buttons(page) == {f"Buy: {tier}" for tier in ACCESS_TIERS + SEAT_TIERS}


def test_staff_who_open_every_module_are_told_so_and_see_the_visitors_prices(app, sample_module):
    page = login_as(app, make_user("editor@example.org", role="editor")).get(MODULE_PAGE).get_data(as_text=True)
    assert "You can open every module as staff." in page and f'href="{FIRST_LECTURE}">Continue' in page
    assert "You have access until" not in page and "See prices" in page
    assert buttons(page) == {f"Buy: {tier}" for tier in ACCESS_TIERS + SEAT_TIERS}


@pytest.mark.parametrize("first", ["learner", "visitor"])
def test_the_shared_cache_never_shows_one_viewer_what_another_holds(app, client, sample_module, first):
    """Whoever fills the cache first, each person sees their own access, and a visitor none."""
    learner = make_user()
    grant_access(learner)
    viewers = {"learner": login_as(app, learner), "visitor": client,
               "other learner": login_as(app, make_user("other@example.org"))}
    cache.clear()
    order = [first, *(name for name in viewers if name != first)]
    pages = {name: viewers[name].get(MODULE_PAGE).get_data(as_text=True) for name in order}
    assert "You have access until" in pages["learner"] and "Renew: Self-funded" in pages["learner"]
    for name in ("visitor", "other learner"):
        assert "You have access" not in pages[name] and "Renew" not in pages[name], name
        assert "See prices" in pages[name], name
    assert client.get(MODULE_PAGE).get_data(as_text=True) == pages["visitor"]  # the visitors' shared page


def test_a_logged_in_view_costs_one_query_for_the_viewers_access(app, sample_module, count_queries):
    learner = make_user()
    grant_access(learner)
    give_certificate(learner)
    client = login_as(app, learner)
    client.get(MODULE_PAGE)  # the body is cached
    with count_queries() as counter:
        assert "You have access until" in client.get(MODULE_PAGE).get_data(as_text=True)
    # The login session, the content revision, the viewer's access and certificate in one query (shared by billing's
    # and learning's viewer parts), and the viewer's progress (learning's part: Continue, the progress bar).
    assert counter.count == 4, counter.statements


def test_module_holding_reads_access_and_certificate_in_one_query(app, sample_module, count_queries):
    learner = make_user()
    window = grant_access(learner)
    give_certificate(learner)
    sample, _loaded = module_id(), learner.role
    with count_queries() as counter:
        holding = module_holding(learner, sample)
    assert counter.count == 1
    assert holding.access_until == as_utc(window.valid_until)
    assert holding.certificate and not holding.opens_every_module
    assert module_holding(learner, module_id(), at=window.valid_until).access_until is None


TIERS = [
    {"code": "self_funded", "grants": "access", "unit_amount": 26500, "currency": "usd", "access_days": 365},
    {"code": "org_funded", "grants": "access", "unit_amount": 28000, "currency": "usd", "access_days": 365},
    {"code": "teaching", "grants": "seats", "unit_amount": 8500, "currency": "usd", "access_days": 365},
    {"code": "certificate", "grants": "certificate", "unit_amount": 5000, "currency": "usd", "access_days": 365},
]


def test_the_price_from_is_the_cheapest_access_for_one_learner():
    assert lowest_access_price(TIERS) == "$265"  # not the teaching seat, not the certificate
    assert lowest_access_price([TIERS[1], TIERS[0]]) == "$265"
    assert lowest_access_price(TIERS[2:]) is None


def test_offers_for_each_kind_of_viewer():
    visitor = [(offer.tier["code"], offer.action, offer.with_certificate) for offer in offers_for(TIERS, None)]
    assert visitor == [("self_funded", "buy", True), ("org_funded", "buy", True), ("teaching", "buy", False),
                       ("certificate", "needs_access", False)]
    end = utcnow()
    holder = offers_for(TIERS, ModuleHolding(access_until=end, certificate=True))
    assert [(offer.action, offer.with_certificate) for offer in holder] == [
        ("renew", False), ("renew", False), ("buy", False), ("held", False)]
    assert holder[0].renews_until == end + timedelta(days=365)
    staff = offers_for(TIERS, ModuleHolding(access_until=None, certificate=False, opens_every_module=True))
    assert [offer.action for offer in staff] == ["buy", "buy", "buy", "needs_access"]


def card_of(page: str, slug: str) -> str:
    start = page.index(f'href="/modules/{slug}"')
    return page[start:page.index("</article>", start)]


def test_cards_show_the_price_from_on_the_home_page_and_the_catalogue(client, sample_module):
    make_module("no-prices", "A module with no access for sale")
    for url in ("/", "/catalog"):
        page = client.get(url).get_data(as_text=True)
        assert '<p class="card-line">From $265</p>' in card_of(page, "sample-module"), url
        assert "From" not in card_of(page, "no-prices"), url


def test_a_cheaper_single_learner_tier_or_a_price_change_shows_on_the_cards_at_once(client, sample_module):
    assert "From $265" in client.get("/catalog").get_data(as_text=True)
    tiers = {tier.code: tier for tier in db.session.scalars(select(PriceTier))}
    tiers["org_funded"].unit_amount = 24900
    db.session.commit()
    assert "From $249" in client.get("/catalog").get_data(as_text=True)
    tiers["org_funded"].active = False
    tiers["self_funded"].active = False
    db.session.commit()
    assert "From $" not in client.get("/catalog").get_data(as_text=True)  # seats and the certificate are not "from"
