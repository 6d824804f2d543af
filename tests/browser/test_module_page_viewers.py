"""The module page for the person looking, and prices within reach on a phone (issue 12), walked in chromium at
desktop and 390x844 phone sizes: "from" prices on the cards, "See prices" near the top of a module page, and a
learner with access told so, continuing to the lectures and offered a renewal and the certificate. Axe on each page."""
from __future__ import annotations

import pytest

from coursesite.extensions import db
from tests.browser.support import log_in, log_out, serious_violations
from tests.factories import grant_access, make_user

pytestmark = pytest.mark.browser

MODULE = "/modules/sample-module"


def on_first_screen(page, locator) -> bool:
    """Is the element visible without scrolling the page?"""
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"]


def in_view(locator) -> bool:
    """Is the element inside the window now (to within a pixel: a scroll to an anchor may stop a fraction short)?"""
    return locator.evaluate("""element => {
        const box = element.getBoundingClientRect();
        return box.top >= -1 && box.bottom <= window.innerHeight + 1;
    }""")


def test_a_visitor_sees_prices_on_the_cards_and_reaches_the_module_prices_at_once(page, live_server, size):
    for path in ("/", "/catalog"):
        page.goto(live_server + path)
        card = page.locator(".module-card").filter(has_text="A Sample Module")
        assert card.locator(".card-line").inner_text() == "From $265", path
        assert serious_violations(page) == [], path

    page.get_by_role("link", name="A Sample Module").click()
    page.wait_for_url(f"**{MODULE}")
    see_prices = page.get_by_role("link", name="See prices")
    assert on_first_screen(page, see_prices), size
    assert "from $265 for one learner" in page.locator(".see-prices").inner_text()
    assert "You have access" not in page.locator("main").inner_text()
    assert serious_violations(page) == []
    see_prices.click()
    assert in_view(page.get_by_role("heading", name="Prices", exact=True))
    assert page.get_by_role("button", name="Buy: Self-funded").is_visible()
    assert page.get_by_role("button", name="Buy: Test and certificate").count() == 0


def test_a_learner_with_access_sees_it_continues_and_may_renew_or_add_the_certificate(page, live_app, live_server,
                                                                                         size):
    email = f"holder.{size}@example.org"
    with live_app.app_context():
        window = grant_access(make_user(email))
        until = window.valid_until.strftime("%-d %B %Y")
        db.session.remove()

    log_in(page, live_server, email, "/learning")
    page.goto(live_server + MODULE)
    status = page.locator(".access-status")
    assert on_first_screen(page, status.get_by_text(f"You have access until {until}.")), size
    assert "Test and certificate: not bought yet." in status.inner_text()
    assert page.get_by_role("link", name="See prices").count() == 0
    assert serious_violations(page) == []

    pricing = page.locator(".pricing-box")
    assert pricing.get_by_role("button", name="Renew: Self-funded").is_visible()
    assert pricing.get_by_role("button", name="Buy: Self-funded").count() == 0
    assert pricing.get_by_role("button", name="Buy: Test and certificate").is_visible()
    assert pricing.get_by_role("button", name="Buy: Institutional licence").is_visible()

    page.get_by_role("link", name="Continue").click()
    page.wait_for_url(f"**{MODULE}/lectures/first-steps")
    assert page.get_by_role("heading", level=1).inner_text() == "First steps"

    # The same page for a visitor afterwards (the body is shared): no trace of the learner's access.
    log_out(page)
    page.goto(live_server + MODULE)
    assert "You have access" not in page.locator("main").inner_text()
    assert page.get_by_role("link", name="See prices").is_visible()
