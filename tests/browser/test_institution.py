"""An institution buys seats in TEST MODE, invites a colleague from its dashboard, and the colleague accepts the
seat from the mailed link and opens a lecture, in chromium."""
import pytest

from coursesite.extensions import db
from tests.browser.support import log_in, serious_violations
from tests.factories import make_user

pytestmark = pytest.mark.browser

ADMIN = "training.director@example.org"
COLLEAGUE = "colleague.browser@example.org"
ORGANISATION = "Harbourside Counselling Service"


def confirmed_user(app, email: str, full_name: str) -> None:
    with app.app_context():
        make_user(email, full_name=full_name)
        db.session.remove()


def test_buy_seats_invite_a_colleague_who_accepts_and_watches(page, live_app, live_server, smtp_server):
    confirmed_user(live_app, ADMIN, "Marit Holloway")
    confirmed_user(live_app, COLLEAGUE, "Ines Carvalho")
    smtp_server.clear()
    log_in(page, live_server, ADMIN, "/learning")

    page.goto(live_server + "/modules/sample-module")
    page.get_by_role("button", name="Buy: Institutional licence").click()
    page.wait_for_url("**/checkout/sample-module/institutional?*")
    page.get_by_label("Number of seats").fill("4")
    page.get_by_label("Organisation name").fill(ORGANISATION)
    assert serious_violations(page) == []
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url("**/checkout/test/cs_test_*")
    assert serious_violations(page) == []
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Name on the invoice").fill("Harbourside Counselling Service Ltd")
    page.get_by_label("Street address").fill("4 Quay Street")
    page.get_by_label("City").fill("Bristol")
    page.get_by_label("Postal code").fill("BS1 4DJ")
    page.get_by_label("Country").select_option("GB")
    page.get_by_role("button", name="Pay $540").click()
    page.wait_for_url("**/checkout/success?session_id=cs_test_*")

    page.goto(live_server + "/organizations")
    page.get_by_role("link", name=ORGANISATION).click()
    assert page.get_by_role("heading", level=1).inner_text() == ORGANISATION
    licences = page.get_by_role("table", name="Seat licences").inner_text()
    assert "A Sample Module" in licences and "4" in licences
    assert serious_violations(page) == []

    page.get_by_label("Email addresses, one per line").fill(COLLEAGUE)
    page.get_by_role("button", name="Send invitations").click()
    assert "Invited" in page.locator("main").inner_text()
    assert COLLEAGUE in page.locator("main").inner_text()
    assert serious_violations(page) == []
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Log out").click()
    page.wait_for_url(live_server + "/")

    invitation = smtp_server.last_to(COLLEAGUE).link_to(f"{live_server}/organizations/invitations/")
    log_in(page, live_server, COLLEAGUE, "/learning")
    page.goto(invitation)
    assert page.get_by_role("heading", level=1).inner_text() == "A seat on A Sample Module"
    assert ORGANISATION in page.locator("main").inner_text()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Accept the seat").click()

    page.goto(live_server + "/learning")
    assert "A Sample Module" in page.locator("main").inner_text()
    page.goto(live_server + "/modules/sample-module/lectures/in-conversation")
    assert page.locator("video").count() == 1
    assert "See prices and buy access" not in page.content()
