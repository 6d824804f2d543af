"""A newcomer registers, confirms by the link in the real mail, logs in and out, in chromium."""
import pytest

from coursesite.accounts import roles
from tests.browser.support import log_in, serious_violations

pytestmark = pytest.mark.browser

NAME = "Zoë Łukasiewicz-Ōtsuka"
EMAIL = "zoe.browser@example.org"
PASSWORD = "lantern orchard violet 42"


def test_register_confirm_log_in_and_out(page, live_server, smtp_server):
    smtp_server.clear()
    page.goto(live_server + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Create account").click()
    page.wait_for_url("**/auth/register")
    assert serious_violations(page) == []

    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill("not the same password")
    page.get_by_label("Full name, exactly as it should appear on your certificates").fill(NAME)
    page.get_by_label("Profession").fill("Clinical psychologist")
    page.get_by_role("button", name="Create account").click()
    mismatch = page.get_by_label("Repeat the password")
    assert mismatch.get_attribute("aria-invalid") == "true"
    assert page.locator("#password_repeat-error").inner_text() == "The two passwords differ."
    assert serious_violations(page) == []

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    mismatch.fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/auth/login")
    assert f"We have sent a message to {EMAIL}" in page.get_by_role("status").inner_text()

    mail = smtp_server.last_to(EMAIL)
    assert f"Hello {NAME}," in mail.text
    page.goto(mail.link_to(f"{live_server}/auth/confirm/"))
    page.wait_for_url("**/auth/login")
    assert "Your email address is confirmed" in page.get_by_role("status").inner_text()
    assert serious_violations(page) == []

    page.get_by_label("Email address").fill(EMAIL.upper())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/learning")  # a learner lands on "My learning"
    assert serious_violations(page) == []
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Your account").click()
    page.wait_for_url("**/account")
    assert page.get_by_role("heading", level=1).inner_text() == "Your account"
    assert page.get_by_label("Full name, exactly as it should appear on your certificates").input_value() == NAME
    assert serious_violations(page) == []

    page.get_by_role("navigation", name="Main").get_by_role("button", name="Log out").click()
    page.wait_for_url(live_server + "/")
    assert "You are logged out." in page.get_by_role("status").inner_text()
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in").is_visible()
    page.goto(live_server + "/account")
    page.wait_for_url("**/auth/login?next=%2Faccount")


def test_account_and_staff_pages_are_accessible(page, live_app, live_server):
    with live_app.app_context():
        roles.create_admin("staff.browser@example.org", PASSWORD, NAME)
    log_in(page, live_server, "staff.browser@example.org", "/staff/access", PASSWORD)  # an admin lands there

    pages = [("/account/password", "Change your password"), ("/account/email", "Change your email address"),
             ("/account/delete", "Delete your account"), ("/staff/audit", "Audit log")]
    for path, heading in pages:
        page.goto(live_server + path)
        assert page.get_by_role("heading", level=1).inner_text() == heading
        assert serious_violations(page) == [], path

    page.get_by_label("Action").select_option("account.login")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/staff/audit?*action=account.login*")
    assert "staff.browser@example.org" in page.locator("table").inner_text()
