"""A newcomer registers, buys a module in TEST MODE with the test card and opens a lecture, in chromium."""
import pytest

from tests.browser.support import serious_violations

pytestmark = pytest.mark.browser

EMAIL = "buyer.browser@example.org"
PASSWORD = "harbour lantern cedar 77"


def register_and_log_in(page, live_server, smtp_server) -> None:
    page.goto(live_server + "/auth/register")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_label("Full name, exactly as it should appear on your certificates").fill("Ada Buyer")
    page.get_by_label("Profession").fill("Psychotherapist")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/auth/login")
    page.goto(smtp_server.last_to(EMAIL).link_to(f"{live_server}/auth/confirm/"))
    page.wait_for_url("**/auth/login")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/learning")


def test_buy_a_module_with_the_test_card_and_open_a_lecture(page, live_server, smtp_server):
    smtp_server.clear()
    register_and_log_in(page, live_server, smtp_server)

    page.goto(live_server + "/modules/sample-module/lectures/in-conversation")
    assert "See prices and buy access" in page.content()

    page.goto(live_server + "/modules/sample-module")
    page.get_by_role("button", name="Buy: Self-funded").click()
    page.wait_for_url("**/checkout/sample-module/self_funded?*")
    assert page.get_by_role("heading", level=1).inner_text() == "Buy: Self-funded"
    assert serious_violations(page) == []
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url("**/checkout/test/cs_test_*")
    assert "TEST MODE" in page.get_by_role("note").inner_text()
    assert serious_violations(page) == []

    card = page.get_by_label("Card number")
    card.fill("4000 0000 0000 0002")
    page.get_by_role("button", name="Pay $265").click()
    assert card.get_attribute("aria-invalid") == "true"
    assert "Your card was declined" in page.locator("#card_number-error").inner_text()
    assert serious_violations(page) == []

    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay $265").click()
    page.wait_for_url("**/checkout/success?session_id=cs_test_*")
    assert page.get_by_role("heading", level=1).inner_text() == "Thank you: your payment went through"
    assert serious_violations(page) == []
    assert "Your receipt for A Sample Module" in smtp_server.last_to(EMAIL).subject

    page.get_by_role("link", name="View the receipt").click()
    assert "Total paid" in page.locator(".receipt").inner_text()
    assert serious_violations(page) == []

    page.goto(live_server + "/learning")
    assert "365 days left" in page.locator(".learning-item").inner_text()
    assert serious_violations(page) == []

    page.goto(live_server + "/modules/sample-module/lectures/in-conversation")
    assert page.locator("video").count() == 1
    assert "See prices and buy access" not in page.content()
