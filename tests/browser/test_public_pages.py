"""A visitor's first pages, checked in a real browser and by axe-core."""
import pytest

from tests.browser.support import serious_violations

pytestmark = pytest.mark.browser


def test_visitor_browses_from_home_to_a_module_and_a_speaker(page, live_server):
    page.goto(live_server + "/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Continuing education")
    assert serious_violations(page) == []

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalogue").click()
    page.wait_for_url("**/catalog")
    assert serious_violations(page) == []

    page.get_by_label("Format").select_option("conversation")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/catalog?*format=conversation*")
    page.get_by_role("link", name="A Sample Module").click()
    page.wait_for_url("**/modules/sample-module")
    assert page.get_by_role("heading", level=1).inner_text() == "A Sample Module"
    pricing = page.locator(".pricing-box")
    for price in ("$265", "$280", "$135", "$85", "$50"):
        assert price in pricing.inner_text()
    assert "sponsor of this test program" in page.locator(".sponsor").inner_text()
    assert serious_violations(page) == []

    page.get_by_role("link", name="Ada Testwright, PhD").first.click()
    page.wait_for_url("**/speakers/ada-testwright")
    assert page.get_by_role("img", name="Portrait of Ada Testwright").is_visible()
    assert serious_violations(page) == []


def test_keyboard_user_can_skip_to_main_content(page, live_server):
    page.goto(live_server + "/catalog")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("element => element === document.activeElement")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_unknown_module_shows_friendly_404(page, live_server):
    response = page.goto(live_server + "/modules/no-such-module")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    assert serious_violations(page) == []


@pytest.mark.parametrize("path", [
    "/", "/catalog", "/modules/sample-module", "/modules/sample-module/lectures/first-steps",
])
def test_pages_fit_a_phone_screen(browser, live_server, path):
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    try:
        page.goto(live_server + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert serious_violations(page) == []
    finally:
        context.close()
