"""What a newcomer trips over in the first five minutes (issue 12), walked in chromium at desktop and phone sizes:
where each role lands after logging in, an invitee registering from the invitation, visible seat actions and a
confirmed revocation, error pages in the site's words, trailing slashes, and small visual faults. Axe on every page."""
from __future__ import annotations

import pytest

from coursesite.extensions import db
from tests.browser.support import log_in, log_out, serious_violations
from tests.factories import PASSWORD, make_licence, make_organisation, make_user

pytestmark = pytest.mark.browser


def colour_and_background(locator) -> tuple[str, str]:
    """The element's text colour and the first non-transparent background behind it."""
    return locator.evaluate("""element => {
        let node = element, background = 'rgba(0, 0, 0, 0)';
        while (node && (background === 'rgba(0, 0, 0, 0)' || background === 'transparent')) {
            background = getComputedStyle(node).backgroundColor; node = node.parentElement;
        }
        return [getComputedStyle(element).color, background];
    }""")


def test_an_organisation_admin_lands_on_it_sees_its_actions_and_confirms_a_revocation(page, live_app, live_server,
                                                                                       smtp_server, size):
    admin_email, invitee = f"director.{size}@example.org", f"new.colleague.{size}@example.org"
    with live_app.app_context():
        admin = make_user(admin_email, full_name="Marit Holloway")
        organization = make_organisation(admin, f"Harbourside Counselling ({size})")
        make_licence(organization)
        organization_id = organization.id
        db.session.remove()
    smtp_server.clear()

    log_in(page, live_server, admin_email, f"/organizations/{organization_id}")
    page.get_by_label("Email addresses, one per line").fill(f"{invitee}\nleaving.{size}@example.org")
    page.get_by_role("button", name="Send invitations").click()
    assert serious_violations(page) == []
    send_again = page.get_by_role("button", name=f"Send again to {invitee}")
    revoke = page.get_by_role("link", name=f"Revoke the seat of leaving.{size}@example.org")
    for action in (send_again, revoke):
        assert action.is_visible()
        colour, background = colour_and_background(action)
        assert colour != background, (colour, background)

    revoke.click()
    page.wait_for_url(f"**/organizations/{organization_id}/seats/*/revoke")
    assert page.get_by_role("heading", level=1).inner_text() == "Revoke this seat?"
    details = page.locator("main").inner_text()
    assert f"leaving.{size}@example.org" in details and "A Sample Module" in details
    assert serious_violations(page) == []
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_url(f"**/organizations/{organization_id}")
    revoke.click()
    page.get_by_role("button", name="Revoke the seat").click()
    page.wait_for_url(f"**/organizations/{organization_id}")
    assert f"The seat of leaving.{size}@example.org is revoked" in page.get_by_role("status").inner_text()

    # The invitee has no account: registers from the invitation, confirms, logs in and is back at the invitation.
    invitation = smtp_server.last_to(invitee).link_to(f"{live_server}/organizations/invitations/")
    log_out(page)
    page.goto(invitation)
    page.get_by_role("link", name="Create one").click()
    page.wait_for_url(lambda url: "/auth/register?next=" in url)
    assert page.get_by_label("Email address").input_value() == invitee
    assert serious_violations(page) == []
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_label("Full name, exactly as it should appear on your certificates").fill("Ines Carvalho")
    page.get_by_label("Profession").fill("Counsellor")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(lambda url: "/auth/login?next=" in url)
    page.goto(smtp_server.last_to(invitee).link_to(f"{live_server}/auth/confirm/"))
    page.wait_for_url(lambda url: "/auth/login?next=" in url)
    page.get_by_label("Email address").fill(invitee)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(invitation)
    assert page.get_by_role("button", name="Accept the seat").is_visible()


def test_learners_admins_and_staff_land_on_their_pages(page, live_app, live_server, size):
    with live_app.app_context():
        make_user(f"learner.{size}@example.org")
        make_user(f"admin.{size}@example.org", role="admin")
        make_user(f"editor.{size}@example.org", role="editor")
        runner = make_user(f"runs.two.{size}@example.org")
        for name in ("First", "Second"):
            make_organisation(runner, f"{name} clinic ({size})")
        db.session.commit()
        db.session.remove()
    for who, landing in (("learner", "/learning"), ("admin", "/staff/access"), ("editor", "/catalog"),
                         ("runs.two", "/organizations")):
        log_in(page, live_server, f"{who}.{size}@example.org", landing)
        assert serious_violations(page) == [], who
        log_out(page)
    page.goto(live_server + "/account/password")
    page.wait_for_url(lambda url: "/auth/login?next=" in url)
    page.get_by_label("Email address").fill(f"learner.{size}@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account/password")


def test_error_pages_speak_plainly_and_trailing_slashes_lead_home(page, live_app, live_server, size):
    page.goto(live_server + "/catalog/?format=conversation")
    assert page.url == live_server + "/catalog?format=conversation"
    page.goto(live_server + "/modules/sample-module/")
    assert page.url == live_server + "/modules/sample-module"

    response = page.goto(live_server + "/no-such-page")
    assert response.status == 404
    assert page.get_by_role("link", name="Back to the home page").is_visible()
    assert serious_violations(page) == []

    with live_app.app_context():
        make_user(f"curious.{size}@example.org")
        db.session.remove()
    log_in(page, live_server, f"curious.{size}@example.org", "/learning")
    response = page.goto(live_server + "/staff/access")
    assert response.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "You do not have access to this page"
    assert "read-protected" not in page.content()
    assert page.get_by_role("button", name="Log out to use another account").is_visible()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Log out to use another account").click()
    page.wait_for_url(live_server + "/")


def test_small_visual_faults_are_mended(page, live_app, live_server, size):
    for path in ("/", "/catalog"):
        page.goto(live_server + path)
        last_card = page.locator(".card").last.bounding_box()
        footer = page.locator(".site-footer").bounding_box()
        assert footer["y"] - (last_card["y"] + last_card["height"]) >= 24, path

    page.goto(live_server + "/modules/sample-module")
    assert "A learner paying for their own access" in page.locator(".pricing-box").inner_text()
    box = page.get_by_role("checkbox", name="Add the test and certificate").first.bounding_box()
    label = page.locator("label[for='self_funded-certificate']").bounding_box()
    assert box["x"] + box["width"] <= label["x"], "the checkbox stands to the left of its label"
    assert label["y"] <= box["y"] + box["height"] / 2 <= label["y"] + label["height"], "on the label's first line"

    page.goto(live_server + "/speakers/ada-testwright")
    photo = page.get_by_role("img", name="Portrait of Ada Testwright")
    assert photo.evaluate("element => getComputedStyle(element).borderTopLeftRadius") != "50%"
    assert serious_violations(page) == []

    with live_app.app_context():
        make_user(f"sessions.{size}@example.org")
        db.session.remove()
    log_in(page, live_server, f"sessions.{size}@example.org", "/learning")
    page.goto(live_server + "/account")
    browser = page.locator(".sessions-table .user-agent").first
    assert browser.inner_text().endswith("on Linux")
    assert "Mozilla/5.0" in browser.get_attribute("title") and "Mozilla" not in browser.inner_text()
    assert serious_violations(page) == []

