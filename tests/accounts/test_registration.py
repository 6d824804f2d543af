"""Registration and email confirmation, through the real SMTP round trip."""
from __future__ import annotations

import time

import pytest
from itsdangerous.timed import TimestampSigner
from sqlalchemy import func, select

from coursesite.accounts.models import AuditEvent, User
from coursesite.extensions import db
from tests.factories import PASSWORD, ZOE, make_user
from tests.support import post_form

FORM = {
    "email": "Zoe@Example.org",
    "password": PASSWORD,
    "password_repeat": PASSWORD,
    "full_name": ZOE,
    "profession": "Clinical psychologist",
    "licence_number": "PSY 12345",
    "licence_jurisdiction": "Ontario",
}


def register(client, follow_redirects=False, **changes):
    return post_form(client, "/auth/register", {**FORM, **changes}, follow_redirects=follow_redirects)


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_registration_stores_the_profile_and_mails_a_confirmation_link(client, mailbox):
    response = register(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    user = db.session.scalar(select(User))
    assert user.email == "zoe@example.org"
    assert user.full_name == ZOE
    assert (user.profession, user.licence_number, user.licence_jurisdiction) == (
        "Clinical psychologist", "PSY 12345", "Ontario")
    assert user.role == "learner" and user.confirmed_at is None
    assert user.password_hash.startswith("$argon2id$")

    mail = mailbox.last_to("zoe@example.org")
    assert mail.subject == "Confirm your email address"
    assert mail.message["To"].addresses[0].display_name == ZOE
    assert mail.envelope_from == "no-reply@coursesite.test"
    assert f"Hello {ZOE}," in mail.text and ZOE in mail.html
    link = mail.link_to("/auth/confirm/")
    assert link.startswith("http://127.0.0.1:5000/auth/confirm/")  # BASE_URL, not the request's host
    assert f'href="{link}"' in mail.html


def test_the_page_after_registering_says_where_the_link_went(client, mailbox):
    response = register(client, email="new.person@example.org", follow_redirects=True)
    assert "We have sent a message to new.person@example.org" in response.get_data(as_text=True)


def test_following_the_link_confirms_the_address_once(client, mailbox):
    register(client)
    link = mailbox.last_to("zoe@example.org").link_to("/auth/confirm/")
    path = link.removeprefix("http://127.0.0.1:5000")

    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    user = db.session.scalar(select(User))
    assert user.confirmed_at is not None
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "account.email_confirmed"))

    again = client.get(path)
    assert again.status_code == 400
    assert "already confirmed" in again.get_data(as_text=True)


def test_an_expired_confirmation_link_is_refused_with_a_clear_message(client, mailbox, monkeypatch):
    four_days_ago = int(time.time()) - 4 * 86400
    with monkeypatch.context() as patched:
        patched.setattr(TimestampSigner, "get_timestamp", lambda self: four_days_ago)
        register(client)
    path = mailbox.last_to("zoe@example.org").link_to("/auth/confirm/").removeprefix("http://127.0.0.1:5000")

    response = client.get(path)
    assert response.status_code == 400
    assert "This link has expired" in response.get_data(as_text=True)
    assert db.session.scalar(select(User)).confirmed_at is None


@pytest.mark.parametrize("mangle", [
    lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
    lambda token: "not-a-token",
    lambda token: token.split(".")[0],
])
def test_a_tampered_confirmation_link_is_refused(client, mailbox, mangle):
    register(client)
    token = mailbox.last_to("zoe@example.org").link_to("/auth/confirm/").rsplit("/", 1)[1]
    response = client.get(f"/auth/confirm/{mangle(token)}")
    assert response.status_code == 400
    assert "This link is not valid" in response.get_data(as_text=True)
    assert db.session.scalar(select(User)).confirmed_at is None


def test_a_confirmation_token_for_another_purpose_is_refused(client, mailbox, user):
    post_form(client, "/auth/reset", {"email": user.email})
    reset_token = mailbox.last_to(user.email).link_to("/auth/reset/").rsplit("/", 1)[1]
    response = client.get(f"/auth/confirm/{reset_token}")
    assert response.status_code == 400
    assert "This link is not valid" in response.get_data(as_text=True)


def test_registering_an_existing_address_in_other_case_mails_its_owner_and_reveals_nothing(
        client, mailbox):
    make_user("zoe@example.org", full_name=ZOE)
    fresh = register(client, email="new.person@example.org")
    existing = register(client, email="ZOE@EXAMPLE.ORG")

    assert existing.status_code == fresh.status_code == 302
    assert existing.headers["Location"] == fresh.headers["Location"]
    assert user_count() == 2
    mail = mailbox.last_to("zoe@example.org")
    assert mail.subject == "You already have a Coursesite account"
    assert "/auth/reset" in mail.text and "/auth/login" in mail.text
    assert not [m for m in mailbox.to("zoe@example.org") if "Confirm" in m.subject]


@pytest.mark.parametrize(("changes", "message"), [
    ({"email": "not-an-email"}, "Enter a valid email address"),
    ({"email": "a" * 250 + "@example.org"}, "Field cannot be longer than 254 characters"),
    ({"email": "zoë@example.org"}, "Enter a valid email address"),
    ({"password": "short pw", "password_repeat": "short pw"}, "Use at least 12 characters"),
    ({"password": "x" * 129, "password_repeat": "x" * 129}, "Field must be between 12 and 128 characters long."),
    ({"password": "password1234", "password_repeat": "password1234"}, "most commonly used passwords"),
    ({"password": "aaaaaaaaaaaaaa", "password_repeat": "aaaaaaaaaaaaaa"}, "repeats too few characters"),
    ({"password_repeat": PASSWORD + "!"}, "The two passwords differ."),
    ({"full_name": ""}, "Enter your full name."),
    ({"full_name": "Z" * 121}, "Field cannot be longer than 120 characters"),
    ({"full_name": "Zoë\u0007Ōtsuka"}, "invisible or control characters"),
    ({"full_name": "Zoë\u202eŌtsuka"}, "invisible or control characters"),
    ({"full_name": "Zoë\u202aŌtsuka"}, "invisible or control characters"),
    ({"full_name": "Zoë\u2066Ōtsuka\u2069"}, "invisible or control characters"),
    ({"full_name": "Zoë\ufeffŌtsuka"}, "invisible or control characters"),
    ({"full_name": "\u0958" * 120}, ("Field cannot be longer than 120 characters: in the standard Unicode form we "
                                      "store, this text has 240.")),
    ({"profession": "\u0958" * 80}, "Field cannot be longer than 80 characters"),
    ({"licence_number": "\u0958" * 40}, "Field cannot be longer than 40 characters"),
    ({"profession": ""}, "Enter your profession"),
    ({"profession": "p" * 81}, "Field cannot be longer than 80 characters"),
    ({"licence_number": "1" * 41}, "Field cannot be longer than 40 characters"),
    ({"licence_jurisdiction": "j" * 81}, "Field cannot be longer than 80 characters"),
    ({"licence_jurisdiction": ""}, "Give both your licence number and the jurisdiction"),
    ({"licence_number": " "}, "Give both your licence number and the jurisdiction"),
])
def test_bad_input_gets_a_clear_message_and_saves_nothing(client, mailbox, changes, message):
    response = register(client, **changes)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert 'aria-invalid="true"' in page
    assert user_count() == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0
    assert mailbox.received == []


@pytest.mark.parametrize("field", ["email", "password", "full_name", "profession", "licence_number"])
def test_a_nul_byte_in_any_field_gets_a_clear_answer_and_saves_nothing(client, mailbox, field):
    response = register(client, **{field: FORM.get(field, "x") + "\x00"})
    assert response.status_code == 400
    assert "contained an invisible NUL character" in response.get_data(as_text=True)
    assert user_count() == 0 and mailbox.received == []


def test_a_persian_name_with_a_zero_width_non_joiner_is_kept_exactly(client, mailbox):
    name = "نیلوفر محمدی\u200cپور"  # ZWNJ between the parts of the family name, as Persian writes it
    assert register(client, full_name=name, profession="روان\u200cشناس بالینی").status_code == 302
    user = db.session.scalar(select(User))
    assert user.full_name == name and "\u200c" in user.profession
    assert register(client, email="joiner@example.org", full_name="क्\u200dष").status_code == 302  # ZWJ


def test_errors_are_tied_to_their_field(client, mailbox):
    page = register(client, profession="").get_data(as_text=True)
    assert 'aria-describedby="profession-error"' in page
    assert 'id="profession-error"' in page


def test_whitespace_and_unicode_forms_are_normalised(client, mailbox):
    decomposed = "Zoe\u0308  \u0141ukasiewicz-\u014ctsuka "
    register(client, full_name=decomposed)
    assert db.session.scalar(select(User)).full_name == ZOE


def test_the_licence_is_optional(client, mailbox):
    assert register(client, licence_number="", licence_jurisdiction="").status_code == 302
    assert db.session.scalar(select(User)).licence_number == ""
