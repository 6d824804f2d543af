"""The account pages: profile, email change, data download and deletion."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from coursesite.accounts import passwords
from coursesite.accounts.models import AuditEvent, User
from coursesite.accounts.personal_data import AccountDataPart
from coursesite.extensions import db
from tests.factories import PASSWORD, ZOE, make_user
from tests.support import logged_in, post_form, reload, submit_login

BASE_URL = "http://127.0.0.1:5000"


def test_account_pages_need_a_login(client):
    for path in ("/account", "/account/password", "/account/email", "/account/export", "/account/delete"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login?next=")


def test_account_pages_are_never_cached(client, user):
    submit_login(client, user.email)
    for path in ("/account", "/account/export", "/auth/login"):
        assert client.get(path).headers["Cache-Control"] == "no-store"


def test_profile_update_keeps_unicode_names_exactly(client, user):
    submit_login(client, user.email)
    page = client.get("/account").get_data(as_text=True)
    assert 'value="Ada Testwright"' in page and user.email in page
    response = post_form(client, "/account", {"full_name": ZOE, "profession": "Psychotherapist",
                                           "licence_number": "", "licence_jurisdiction": ""})
    assert response.status_code == 302
    reload(user)
    assert (user.full_name, user.profession) == (ZOE, "Psychotherapist")
    assert ZOE in client.get("/account").get_data(as_text=True)


def test_profile_update_refuses_bad_input_and_changes_nothing(client, user):
    submit_login(client, user.email)
    response = post_form(client, "/account", {"full_name": "Z" * 500, "profession": "Psychotherapist",
                                           "licence_number": "", "licence_jurisdiction": ""})
    assert response.status_code == 200
    assert "Field cannot be longer than 120 characters" in response.get_data(as_text=True)
    assert reload(user).profession == "Psychologist"


def change_email(client, new_email: str, password: str = PASSWORD):
    return post_form(client, "/account/email", {"email": new_email, "current_password": password})


def test_email_change_waits_for_the_new_address_to_be_confirmed(client, mailbox):
    user = make_user("ada@example.org")
    submit_login(client, user.email)
    response = change_email(client, "Zoe.New@Example.org")
    assert response.status_code == 302
    assert reload(user).email == "ada@example.org"

    mail = mailbox.last_to("zoe.new@example.org")
    assert mail.subject == "Confirm your new email address"
    assert mail.message["To"].addresses[0].display_name == ZOE
    path = mail.link_to("/auth/email/").removeprefix(BASE_URL)
    assert client.get(path).headers["Location"] == "/account"
    assert reload(user).email == "zoe.new@example.org"
    assert mailbox.last_to("ada@example.org").subject == "Your email address was changed"

    reused = client.get(path)
    assert reused.status_code == 400
    assert "already been used" in reused.get_data(as_text=True)
    assert logged_in(client)
    assert submit_login(client.application.test_client(), "zoe.new@example.org").headers["Location"] == "/learning"


def change_link(mailbox, address: str) -> str:
    return mailbox.last_to(address).link_to("/auth/email/").removeprefix(BASE_URL)


def test_only_the_latest_email_change_link_works_and_only_once(client, mailbox, user):
    submit_login(client, user.email)
    change_email(client, "first@example.org")
    first = change_link(mailbox, "first@example.org")
    assert reload(user).pending_email == "first@example.org"
    change_email(client, "second@example.org")
    second = change_link(mailbox, "second@example.org")

    refused = client.get(first)
    assert refused.status_code == 400
    assert "You asked to change your address again after this link was sent" in refused.get_data(as_text=True)
    assert reload(user).email == "ada@example.org"

    assert client.get(second).status_code == 302
    assert reload(user).email == "second@example.org" and user.pending_email is None
    reused = client.get(second)
    assert reused.status_code == 400 and "already been used" in reused.get_data(as_text=True)
    assert client.get(first).status_code == 400
    assert reload(user).email == "second@example.org"


def test_the_old_address_is_told_of_the_change_without_a_way_into_the_account(client, mailbox, user):
    """People change their address because they no longer trust the old mailbox: the notice must not hand whoever
    reads it a reset link, nor the new address."""
    submit_login(client, user.email)
    change_email(client, "new@example.org")
    client.get(change_link(mailbox, "new@example.org"))
    notice = mailbox.last_to("ada@example.org")
    assert notice.subject == "Your email address was changed"
    assert "reply to this message at once" in notice.text
    for part in (notice.text, notice.html):
        assert "/auth/" not in part and "new@example.org" not in part


def test_a_password_reset_cancels_a_pending_email_change(client, mailbox, user):
    submit_login(client, user.email)
    change_email(client, "attacker@example.org")
    link = change_link(mailbox, "attacker@example.org")
    post_form(client, "/auth/reset", {"email": user.email})
    reset = mailbox.last_to(user.email).link_to("/auth/reset/").removeprefix(BASE_URL)
    post_form(client, reset, {"password": "quiet harbour compass 7", "password_repeat": "quiet harbour compass 7"})
    assert client.get(link).status_code == 400
    assert reload(user).email == "ada@example.org"


def test_email_change_to_a_taken_address_tells_its_owner_and_reveals_nothing(client, mailbox, user):
    make_user("taken@example.org", full_name="Taken Person")
    submit_login(client, user.email)
    response = change_email(client, "TAKEN@example.org", )
    assert response.status_code == 302
    assert mailbox.last_to("taken@example.org").subject == "You already have a Coursesite account"
    assert reload(user).email == "ada@example.org"
    # Recorded exactly as a change to a free address is (the data download shows both alike); the link refuses it.
    assert reload(user).pending_email == "taken@example.org"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "account.email_change_requested")) == 1


def test_email_change_needs_the_password_and_a_valid_new_address(client, mailbox, user):
    submit_login(client, user.email)
    assert "Your current password is incorrect." in change_email(
        client, "new@example.org", "not the right one at all").get_data(as_text=True)
    assert "Enter a valid email address" in change_email(client, "new@").get_data(as_text=True)
    assert "That is already your email address." in change_email(client, "Ada@Example.org").get_data(as_text=True)
    assert mailbox.received == []


def test_an_email_change_link_dies_when_the_address_is_taken_meanwhile(client, mailbox, user):
    submit_login(client, user.email)
    change_email(client, "contested@example.org")
    path = mailbox.last_to("contested@example.org").link_to("/auth/email/").removeprefix(BASE_URL)
    make_user("contested@example.org")
    response = client.get(path)
    assert response.status_code == 400
    assert "belongs to another account" in response.get_data(as_text=True)
    assert reload(user).email == "ada@example.org"


def test_the_data_download_holds_the_profile_and_its_activity(client, user):
    submit_login(client, user.email)
    response = client.get("/account/export")
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == 'attachment; filename="coursesite-my-data.json"'
    data = json.loads(response.get_data(as_text=True))
    assert data["format"] == "coursesite-account-export/1"
    profile = data["account"]
    assert profile["email"] == user.email and profile["full_name"] == "Ada Testwright"
    assert [event["action"] for event in profile["activity"]] == ["account.login"]
    assert "password_hash" not in json.dumps(data) and "session_token" not in json.dumps(data)


def test_other_packages_add_their_data_through_the_hook(app, client, user):
    erased = []
    part = AccountDataPart("forum", export=lambda person: {"posts": [f"by {person.full_name}"]},
                           erase=lambda person: erased.append(person.full_name))
    app.extensions["account_data"].append(part)
    submit_login(client, user.email)
    data = json.loads(client.get("/account/export").get_data(as_text=True))
    assert data["forum"] == {"posts": ["by Ada Testwright"]}

    post_form(client, "/account/delete", {"current_password": PASSWORD, "understood": "y"})
    assert erased == ["Ada Testwright"], "erase runs before the profile is anonymised"


def test_deleting_the_account_anonymises_it_and_ends_every_session(app, client, mailbox, user):
    other_device = app.test_client()
    submit_login(other_device, user.email, remember="y")
    submit_login(client, user.email)
    response = post_form(client, "/account/delete", {"current_password": PASSWORD, "understood": "y"})
    assert response.status_code == 302 and response.headers["Location"] == "/"

    reload(user)
    assert user.deleted_at is not None
    assert user.email.startswith(f"deleted-{user.id}-") and user.email.endswith("@deleted.invalid")
    assert (user.full_name, user.profession, user.licence_number, user.licence_jurisdiction) == ("", "", "", "")
    assert not passwords.verify_password(user.password_hash, PASSWORD)
    assert not logged_in(client) and not logged_in(other_device)
    assert "Log in" in submit_login(client, "ada@example.org").get_data(as_text=True)

    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.target == f"users:{user.id}")).all()
    assert actions[-1] == "account.deleted" and "account.login" in actions, "the audit trail is kept"
    assert db.session.get(User, user.id) is not None, "the row stays for the CE records that point at it"


def test_the_address_of_a_deleted_account_can_register_again(client, mailbox, user):
    submit_login(client, user.email)
    post_form(client, "/account/delete", {"current_password": PASSWORD, "understood": "y"})
    response = post_form(client, "/auth/register", {
        "email": "ada@example.org", "password": PASSWORD, "password_repeat": PASSWORD,
        "full_name": "Ada Again", "profession": "Psychologist"})
    assert response.status_code == 302
    assert mailbox.last_to("ada@example.org").subject == "Confirm your email address"


def test_deletion_needs_the_password_and_the_tick(client, user):
    submit_login(client, user.email)
    wrong = post_form(client, "/account/delete", {"current_password": "not the right one at all", "understood": "y"})
    assert "Your password is incorrect." in wrong.get_data(as_text=True)
    unticked = post_form(client, "/account/delete", {"current_password": PASSWORD})
    assert "Tick the box to confirm." in unticked.get_data(as_text=True)
    assert reload(user).deleted_at is None and logged_in(client)


def test_staff_accounts_cannot_delete_themselves(client, admin):
    submit_login(client, admin.email)
    response = post_form(client, "/account/delete", {"current_password": PASSWORD, "understood": "y"})
    assert "Staff accounts cannot be deleted here" in response.get_data(as_text=True)
    assert reload(admin).deleted_at is None


@pytest.mark.parametrize("referrer", ["http://[::1/account", "http://localhost:99999/auth/login", "ht tp://x",
                                      "http://localhost/\x00", "javascript:alert(1)", "x" * 5000])
def test_an_expired_form_with_an_odd_referrer_still_gets_the_expired_page(client, referrer):
    response = client.post("/auth/login", data={"email": "ada@example.org"}, headers={"Referer": referrer})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This form has expired" in page and 'href="/">Home' in page
