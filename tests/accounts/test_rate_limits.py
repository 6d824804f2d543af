"""Rate limits: login 5/minute per address and per account, reset 3/hour per email, registration 10/hour."""
from __future__ import annotations

import pytest

from coursesite.extensions import db
from tests.clients import IsolatedClient
from tests.factories import PASSWORD, make_user
from tests.support import csrf_token, make_app


@pytest.fixture
def limited_app(app, migrated, tmp_path, smtp_server):
    """The app with rate limits on (fresh in-memory counters), on the test database ``app`` cleans up."""
    limited = make_app(migrated, tmp_path, RATELIMIT_ENABLED=True, **smtp_server.settings)
    limited.test_client_class = IsolatedClient
    with limited.app_context():
        yield limited
        db.session.remove()


def client_from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def post_form(client, url: str, data: dict):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/auth/login")})


def test_login_allows_five_attempts_a_minute_per_address(limited_app, user):
    client = client_from(limited_app, "198.51.100.1")
    statuses = [post_form(client, "/auth/login", {"email": f"person{n}@example.org", "password": "wrong password!"}
                          ).status_code for n in range(6)]
    assert statuses == [200] * 5 + [429]
    refused = post_form(client, "/auth/login", {"email": user.email, "password": PASSWORD})
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "Too many requests" in page and "wait a minute" in page
    assert refused.headers["Retry-After"]
    assert client_from(limited_app, "198.51.100.2").get("/auth/login").status_code == 200
    assert post_form(client_from(limited_app, "198.51.100.2"), "/auth/login",
                     {"email": user.email, "password": PASSWORD}).status_code == 302


def test_login_allows_five_attempts_a_minute_per_account_from_any_address(limited_app, user):
    statuses = [post_form(client_from(limited_app, f"198.51.100.{n}"), "/auth/login",
                          {"email": user.email.upper(), "password": "wrong password!"}).status_code
                for n in range(10, 16)]
    assert statuses == [200] * 5 + [429]
    other_account = post_form(client_from(limited_app, "198.51.100.99"), "/auth/login",
                              {"email": "someone.else@example.org", "password": "wrong password!"})
    assert other_account.status_code == 200


def test_showing_the_login_form_is_not_limited(limited_app):
    client = client_from(limited_app, "198.51.100.3")
    assert {client.get("/auth/login").status_code for _ in range(8)} == {200}


def test_reset_allows_three_requests_an_hour_per_email(limited_app, mailbox, user):
    statuses = [post_form(client_from(limited_app, f"198.51.100.{n}"), "/auth/reset", {"email": user.email}
                          ).status_code for n in range(20, 24)]
    assert statuses == [302, 302, 302, 429]
    assert len(mailbox.to(user.email)) == 3
    other = post_form(client_from(limited_app, "198.51.100.30"), "/auth/reset", {"email": "other@example.org"})
    assert other.status_code == 302


def test_registration_allows_ten_attempts_an_hour_per_address(limited_app, mailbox):
    client = client_from(limited_app, "198.51.100.4")
    form = {"password": PASSWORD, "password_repeat": PASSWORD, "full_name": "Ada", "profession": "Psychologist"}
    statuses = [post_form(client, "/auth/register", {**form, "email": f"p{n}@example.org"}).status_code
                for n in range(11)]
    assert statuses == [302] * 10 + [429]
    assert post_form(client_from(limited_app, "198.51.100.5"), "/auth/register",
                     {**form, "email": "p11@example.org"}).status_code == 302


# Every spelling of one address is one account to the limits: the key is the address as it would be looked up.
SPELLINGS = ["ada@example.org", "ADA@example.org", "ada@ｅxample.org", "ada@example。org", "Ada@ＥＸＡＭＰＬＥ.org",
             "ada@example.org"]


def test_every_spelling_of_an_address_shares_the_login_limit(limited_app, user):
    statuses = [post_form(client_from(limited_app, f"198.51.100.{40 + n}"), "/auth/login",
                          {"email": email, "password": "wrong password!"}).status_code
                for n, email in enumerate(SPELLINGS)]
    assert statuses == [200] * 5 + [429]


def test_every_spelling_of_an_address_shares_the_reset_limit(limited_app, mailbox, user):
    statuses = [post_form(client_from(limited_app, f"198.51.100.{50 + n}"), "/auth/reset", {"email": email}
                          ).status_code for n, email in enumerate(SPELLINGS[2:])]
    assert statuses == [302, 302, 302, 429]
    assert len(mailbox.to(user.email)) == 3


def test_reset_requests_for_an_unknown_address_share_the_same_limit(limited_app, mailbox):
    statuses = [post_form(client_from(limited_app, f"198.51.100.{60 + n}"), "/auth/reset",
                          {"email": "nobody@ｅxample.org"}).status_code for n in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert [mail.subject for mail in mailbox.to("nobody@example.org")] == ["Password reset request for Coursesite"] * 3


def post_account_form(client, url: str, data: dict):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/account")})


def reauth_forms(password: str) -> list[tuple[str, dict]]:
    return [("/account/password", {"current_password": password, "password": "quiet harbour compass 7",
                                   "password_repeat": "quiet harbour compass 7"}),
            ("/account/email", {"current_password": password, "email": "new@example.org"}),
            ("/account/delete", {"current_password": password, "understood": "y"})]


def test_the_current_password_forms_share_a_limit_per_account(limited_app, user):
    client = client_from(limited_app, "198.51.100.70")
    assert post_form(client, "/auth/login", {"email": user.email, "password": PASSWORD}).status_code == 302
    guesses = [post_account_form(client, path, data).status_code
               for path, data in (reauth_forms("guess number one")[n % 3] for n in range(6))]
    assert guesses == [200] * 5 + [429]
    refused = post_account_form(client, "/account/password", reauth_forms(PASSWORD)[0][1])
    assert refused.status_code == 429, "even the right password waits: the budget is per account"
    assert client.get("/account/password").status_code == 200, "showing the forms is not limited"

    other = client_from(limited_app, "198.51.100.70")
    make_user("other@example.org")
    assert post_form(other, "/auth/login", {"email": "other@example.org", "password": PASSWORD}).status_code == 302
    assert post_account_form(other, "/account/email", reauth_forms("wrong")[1][1]).status_code == 200, "other account"


def test_the_current_password_limit_is_twenty_an_hour(limited_app, user, monkeypatch):
    import time

    client = client_from(limited_app, "198.51.100.71")
    post_form(client, "/auth/login", {"email": user.email, "password": PASSWORD})
    now = time.time()
    statuses = []
    for minute in range(5):  # five a minute for five minutes: the hourly budget runs out on the 21st
        monkeypatch.setattr(time, "time", lambda minute=minute: now + 61 * minute)
        statuses += [post_account_form(client, "/account/email", reauth_forms("wrong")[1][1]).status_code
                     for _ in range(5)]
    assert statuses == [200] * 20 + [429] * 5


def test_strangers_guessing_an_account_do_not_lock_out_a_device_that_logged_in_before(limited_app, user):
    """OWASP's device cookies: the per-account limit stops strangers, not the browser the owner logged in with."""
    owner = client_from(limited_app, "198.51.100.50")
    assert post_form(owner, "/auth/login", {"email": user.email, "password": PASSWORD}).status_code == 302
    owner.post("/auth/logout", data={"csrf_token": csrf_token(owner, "/catalog")})
    strangers = [post_form(client_from(limited_app, f"198.51.100.{n}"), "/auth/login",
                           {"email": user.email, "password": "wrong password!"}).status_code for n in range(60, 65)]
    assert strangers == [200] * 4 + [429]  # the owner's first login, from a device not yet known, counted too
    assert post_form(owner, "/auth/login", {"email": user.email, "password": PASSWORD}).status_code == 302
    # The cookie names the account it logged in to: another account typed on that browser meets its own limit.
    forged = client_from(limited_app, "198.51.100.51")
    forged.set_cookie("known_device", owner.get_cookie("known_device").value[:-2] + "xx")
    assert post_form(forged, "/auth/login", {"email": user.email, "password": PASSWORD}).status_code == 429


def test_a_known_device_has_a_higher_limit_of_its_own(limited_app, user):
    owner = client_from(limited_app, "198.51.100.70")
    assert post_form(owner, "/auth/login", {"email": user.email, "password": PASSWORD}).status_code == 302
    owner.post("/auth/logout", data={"csrf_token": csrf_token(owner, "/catalog")})
    cookie = owner.get_cookie("known_device")
    assert cookie.http_only and cookie.same_site == "Lax" and cookie.expires.year > 2025
    statuses = []
    for n in range(21):
        device = client_from(limited_app, f"198.51.101.{n}")  # a laptop moving between networks
        device.set_cookie("known_device", cookie.value)
        statuses.append(post_form(device, "/auth/login", {"email": user.email, "password": "wrong password!"}
                                  ).status_code)
    assert statuses == [200] * 20 + [429]


def test_an_unconfirmed_account_gets_at_most_one_new_link_an_hour(limited_app, mailbox):
    user = make_user("unconfirmed@example.org", confirmed=False)
    client = client_from(limited_app, "198.51.100.9")
    pages = [post_form(client, "/auth/login", {"email": user.email, "password": PASSWORD}).get_data(as_text=True)
             for _ in range(3)]
    assert all("Please confirm your email address first" in page for page in pages)
    assert [mail.subject for mail in mailbox.to(user.email)] == ["Confirm your email address"]
