"""Password policy, reset by mail (expiring, single-use) and change (ending every other session)."""
from __future__ import annotations

import time

import pytest
from itsdangerous.timed import TimestampSigner
from sqlalchemy import select

from coursesite.accounts import passwords
from coursesite.accounts.models import AuditEvent
from coursesite.accounts.sessions import live_sessions
from coursesite.extensions import db
from tests.factories import PASSWORD, make_user
from tests.support import logged_in, post_form, reload, submit_login

NEW_PASSWORD = "quiet harbour compass 7"
BASE_URL = "http://127.0.0.1:5000"


def request_reset(client, email: str):
    return post_form(client, "/auth/reset", {"email": email})


def reset_path(mailbox, email: str) -> str:
    return mailbox.last_to(email).link_to("/auth/reset/").removeprefix(BASE_URL)


def choose(client, path: str, password: str = NEW_PASSWORD):
    return post_form(client, path, {"password": password, "password_repeat": password})


@pytest.mark.parametrize(("password", "accepted"), [
    ("lantern orchard violet 42", True),
    ("Zoë Łukasiewicz Ōtsuka 1", True),
    ("short", False),
    ("x" * 129, False),
    ("qwertyuiop12345", False),
    ("qwertyqwerty", False),
    ("iloveyou2024!!", False),
    ("Password12345678", False),
    ("abababababababab", False),
    ("ada@example.org", False),
])
def test_password_policy(password, accepted):
    assert (passwords.password_problem(password, "ada@example.org") is None) is accepted


def test_the_common_password_list_ships_with_the_package():
    common = passwords.common_passwords()
    assert len(common) > 40_000
    assert {"123456", "password", "qwertyuiop12345", "1q2w3e4r5t6y"} <= common


def test_equivalent_unicode_spellings_verify_alike():
    stored = passwords.hash_password("Zoë's café password")
    assert passwords.verify_password(stored, "Zoe\u0308's cafe\u0301 password")
    assert not passwords.verify_password("!deleted", "anything at all")


def test_reset_answers_the_same_for_known_and_unknown_addresses(client, mailbox, user):
    known = request_reset(client, user.email)
    unknown = request_reset(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] == "/auth/login"
    flashed = client.get("/auth/login").get_data(as_text=True)
    assert "If nobody@example.org has an account, we have sent it a link" in flashed
    # Both cost one message over SMTP, so the time the request takes reveals nothing.
    assert [mail.envelope_to for mail in mailbox.received] == [[user.email], ["nobody@example.org"]]
    assert mailbox.last_to(user.email).link_to("/auth/reset/")


def test_an_unknown_address_is_told_there_is_no_account_and_gets_no_reset_link(client, mailbox, user):
    request_reset(client, "Nobody@Example.org")
    mail = mailbox.last_to("nobody@example.org")
    assert mail.subject == "Password reset request for Coursesite"
    assert "There is no Coursesite account with this address" in " ".join(mail.text.split())
    assert mail.link_to("/auth/register") == f"{BASE_URL}/auth/register"
    assert mail.link_to("/auth/reset") == f"{BASE_URL}/auth/reset"
    assert f'href="{BASE_URL}/auth/register"' in mail.html
    assert "/auth/reset/" not in mail.text


def test_reset_by_mail_sets_the_password_confirms_the_address_and_works_once(client, mailbox):
    user = make_user("ada@example.org", confirmed=False)
    request_reset(client, "ADA@example.org")
    mail = mailbox.last_to(user.email)
    assert mail.subject == "Reset your password" and "works once, for 1 hour" in mail.text
    path = reset_path(mailbox, user.email)

    assert client.get(path).status_code == 200
    response = choose(client, path)
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    reload(user)
    assert passwords.verify_password(user.password_hash, NEW_PASSWORD)
    assert user.confirmed_at is not None
    assert mailbox.last_to(user.email).subject == "Your password was changed"

    reused = client.get(path)
    assert reused.status_code == 400
    assert "already been used" in reused.get_data(as_text=True)
    replayed_post = post_form(client, path, {"password": "another fine passphrase 9",
                                          "password_repeat": "another fine passphrase 9"}, page="/auth/login")
    assert replayed_post.status_code == 400
    assert passwords.verify_password(reload(user).password_hash, NEW_PASSWORD)


def test_an_expired_reset_link_is_refused(client, mailbox, user, monkeypatch):
    two_hours_ago = int(time.time()) - 2 * 3600
    with monkeypatch.context() as patched:
        patched.setattr(TimestampSigner, "get_timestamp", lambda self: two_hours_ago)
        request_reset(client, user.email)
    path = reset_path(mailbox, user.email)
    response = client.get(path)
    assert response.status_code == 400
    assert "This link has expired" in response.get_data(as_text=True)


def test_a_tampered_reset_link_is_refused(client, mailbox, user):
    request_reset(client, user.email)
    path = reset_path(mailbox, user.email)
    response = client.get(path[:-3] + "xyz")
    assert response.status_code == 400
    assert "This link is not valid" in response.get_data(as_text=True)


def test_a_weak_new_password_is_refused_and_the_link_stays_usable(client, mailbox, user):
    request_reset(client, user.email)
    path = reset_path(mailbox, user.email)
    response = choose(client, path, "password1234")
    assert response.status_code == 200
    assert "most commonly used passwords" in response.get_data(as_text=True)
    assert choose(client, path).status_code == 302


def test_a_reset_ends_existing_sessions(app, client, mailbox, user):
    browser = app.test_client()
    submit_login(browser, user.email, remember="y")
    remember = browser.get_cookie("remember_token").value
    request_reset(client, user.email)
    choose(client, reset_path(mailbox, user.email))

    assert not logged_in(browser)
    replay = app.test_client()
    replay.set_cookie("remember_token", remember)
    assert not logged_in(replay)


def test_changing_the_password_needs_the_current_one(client, user):
    submit_login(client, user.email)
    response = post_form(client, "/account/password", {
        "current_password": "not the right one at all", "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert response.status_code == 200
    assert "Your current password is incorrect." in response.get_data(as_text=True)
    assert passwords.verify_password(reload(user).password_hash, PASSWORD)


def test_changing_the_password_ends_every_other_session_but_this_one(app, client, mailbox, user):
    other_device = app.test_client()
    submit_login(other_device, user.email, remember="y")
    remember = other_device.get_cookie("remember_token").value
    stolen_session = other_device.get_cookie("session").value

    submit_login(client, user.email, remember="y")
    old_cookie_here = client.get_cookie("session").value
    response = post_form(client, "/account/password", {
        "current_password": PASSWORD, "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/account"

    assert logged_in(client), "the session that changed the password goes on"
    assert client.get_cookie("remember_token").value != remember
    assert not logged_in(other_device)
    for name, value in (("session", stolen_session), ("session", old_cookie_here), ("remember_token", remember)):
        replay = app.test_client()
        replay.set_cookie(name, value)
        assert not logged_in(replay), f"an old {name} cookie still works"

    assert mailbox.last_to(user.email).subject == "Your password was changed"
    assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == "account.password_changed"


def test_change_password_form_refuses_a_weak_password(client, user):
    submit_login(client, user.email)
    response = post_form(client, "/account/password", {
        "current_password": PASSWORD, "password": "short", "password_repeat": "short"})
    assert "Use at least 12 characters" in response.get_data(as_text=True)
    assert passwords.verify_password(reload(user).password_hash, PASSWORD)


def test_changing_the_password_revokes_every_session_row_and_starts_a_new_one_here(app, client, user):
    other_device = app.test_client()
    submit_login(other_device, user.email)
    submit_login(client, user.email)
    before = {row.token_hash for row in live_sessions(user)}
    assert len(before) == 2
    post_form(client, "/account/password", {
        "current_password": PASSWORD, "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    db.session.expire_all()
    after = live_sessions(user)
    assert len(after) == 1 and after[0].token_hash not in before, "only a fresh row, for the browser that changed it"
    assert logged_in(client) and not logged_in(other_device)


def test_the_new_password_must_differ_from_the_current_one(client, mailbox, user):
    submit_login(client, user.email)
    response = post_form(client, "/account/password", {
        "current_password": PASSWORD, "password": PASSWORD, "password_repeat": PASSWORD})
    assert response.status_code == 200
    assert "That is your current password: choose a new one." in response.get_data(as_text=True)
    assert logged_in(client)
    request_reset(client, user.email)
    refused = choose(client, reset_path(mailbox, user.email), PASSWORD)
    assert "That is your current password: choose a new one." in refused.get_data(as_text=True)
    assert mailbox.last_to(user.email).subject == "Reset your password", "nothing changed, nothing announced"


def test_a_wrong_current_password_is_audited(client, user):
    submit_login(client, user.email)
    for path, data in (("/account/password", {"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD}),
                       ("/account/email", {"email": "new@example.org"}),
                       ("/account/delete", {"understood": "y"})):
        response = post_form(client, path, {**data, "current_password": "not the right one at all"})
        assert response.status_code == 200
    failures = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.reauth_failed")
                                  .order_by(AuditEvent.id)).all()
    assert [event.details["form"] for event in failures] == ["password", "email", "delete"]
    assert all(event.actor_id == user.id and event.target == f"users:{user.id}" for event in failures)


def test_changing_the_password_keeps_the_login_choice_not_a_leftover_cookie(app, client, user):
    submit_login(client, user.email, remember="y")
    leftover = client.get_cookie("remember_token").value
    post_form(client, "/auth/logout", {})
    submit_login(client, user.email)  # this time without remember-me; the browser still holds the old cookie
    client.set_cookie("remember_token", leftover)
    post_form(client, "/account/password", {
        "current_password": PASSWORD, "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    db.session.expire_all()
    (row,) = live_sessions(user)
    assert row.remember is False
