"""coursesite.mail: SMTP delivery, the development outbox, links on BASE_URL."""
from __future__ import annotations

import logging
from email import message_from_bytes, policy
from email.headerregistry import Address

import pytest

from coursesite import mail
from coursesite.extensions import db
from tests.factories import ZOE


class Person:
    full_name = ZOE


def test_send_delivers_a_text_and_an_html_part_over_smtp(app, mailbox):
    to = Address(display_name=ZOE, addr_spec="zoe@example.org")
    mail.send(to, f"Bonjour {ZOE}", "password_changed", user=Person(), reset_url="https://example.org/reset")
    assert mailbox.received == [], "the message goes with the caller's commit"
    db.session.commit()
    (received,) = mailbox.received
    assert received.envelope_to == ["zoe@example.org"]
    assert received.subject == f"Bonjour {ZOE}"
    assert str(received.message["To"]) == f"{ZOE} <zoe@example.org>"
    assert received.message["Message-ID"].endswith("@127.0.0.1>")
    assert received.message.is_multipart()
    assert f"Hello {ZOE}," in received.text
    assert '<a href="https://example.org/reset">' in received.html


@pytest.mark.parametrize("typed", ["Acme\x07\x1b[31m", "Acme\r\nBcc: spy@evil.example", "Acme\u202eevil\u200b",
                                   "Acme\x00\x7f"])
def test_headers_naming_typed_text_are_encoded_whole_and_without_control_characters(app, typed):
    """An organisation's or a person's name in the Subject and the To display name (stored before the name rules, or
    typed where they were missed) neither fails the message nor breaks or adds a header."""
    to = mail.recipient(f"{ZOE} {typed}", "zoe@example.org")
    built = mail.build_message(to, f"Join {typed} on Coursesite", "password_changed", user=Person(), reset_url="x")
    raw = built.as_bytes()
    headers = raw.split(b"\n\n", 1)[0]
    assert all(byte in (9, 10) or 32 <= byte < 127 for byte in headers), headers
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None
    assert parsed["Subject"].startswith("Join Acme") and parsed["Subject"].endswith(" on Coursesite")
    assert parsed["To"].addresses[0].addr_spec == "zoe@example.org"
    assert parsed["To"].addresses[0].display_name.startswith(ZOE)
    assert not any(char in str(parsed["Subject"]) + str(parsed["To"]) for char in "\x00\x07\x1b\x7f\u202e\u200b\r\n")


def test_links_are_built_on_base_url(app):
    app.config["BASE_URL"] = "https://ce.example.org/school"
    assert mail.link("auth.confirm", token="abc") == "https://ce.example.org/school/auth/confirm/abc"


def test_development_keeps_every_message_in_the_outbox_and_the_log(app, mailbox, tmp_path, caplog):
    app.config.update(MAIL_SERVER=None, MAIL_OUTBOX=str(tmp_path / "outbox"))
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        mail.send("ada@example.org", "Confirm your email address", "confirm_email", user=Person(),
                  confirm_url="http://127.0.0.1:5000/auth/confirm/abc", valid_for="3 days")
        db.session.commit()
    (saved,) = (tmp_path / "outbox").glob("*-confirm_email.eml")
    message = message_from_bytes(saved.read_bytes(), policy=policy.default)
    assert message["Subject"] == "Confirm your email address"
    assert "http://127.0.0.1:5000/auth/confirm/abc" in caplog.text
    assert mailbox.received == [], "no SMTP server configured, nothing sent"


def test_without_a_server_or_outbox_sending_fails_loudly(app):
    app.config.update(MAIL_SERVER=None, MAIL_OUTBOX=None)
    with pytest.raises(mail.MailNotConfigured):
        mail.send("ada@example.org", "Hello", "password_changed", user=Person(), reset_url="x")


def test_the_development_config_uses_the_outbox_without_a_mail_server(monkeypatch):
    from coursesite.config import DevelopmentConfig, TestingConfig

    assert DevelopmentConfig.MAIL_OUTBOX.endswith("instance/outbox")
    assert TestingConfig.MAIL_OUTBOX is None and TestingConfig.MAIL_SERVER is None


def test_the_outbox_keeps_each_mail_decoded_so_its_links_copy_whole(app, tmp_path, caplog):
    """An .eml is quoted-printable: a long link is cut at a soft line break ("…=") when copied from it."""
    app.config.update(MAIL_SERVER=None, MAIL_OUTBOX=str(tmp_path / "outbox"))
    long_link = "http://127.0.0.1:5000/auth/confirm/" + "Zm9v" * 40
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        mail.send("ada@example.org", "Confirm your email address", "confirm_email", user=Person(),
                  confirm_url=long_link, valid_for="3 days")
        db.session.commit()
    (saved,) = (tmp_path / "outbox").glob("*-confirm_email.eml")
    assert long_link not in saved.read_text(), "the .eml itself is quoted-printable"
    assert long_link in saved.with_suffix(".txt").read_text(encoding="utf-8")
    assert f'href="{long_link}"' in saved.with_suffix(".html").read_text(encoding="utf-8")
    assert f"\n  {long_link}" in caplog.text and str(saved.with_suffix(".txt")) in caplog.text


def test_development_logs_at_info_on_the_console_even_under_flask_run(tmp_path):
    """`flask run` without --debug leaves Flask's logger at WARNING; development sets INFO, so the links show."""
    from coursesite import create_app

    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.db'}"})
    app.debug = False  # what `flask run` does without --debug
    assert app.logger.getEffectiveLevel() == logging.INFO
    assert app.logger.handlers or logging.getLogger().handlers


def test_links_in_a_mail_are_found_whole_and_once():
    text = "Open http://x.test/a?b=1&c=2. Or (https://x.test/b), then http://x.test/a?b=1&c=2 again."
    assert mail.links_in(text) == ["http://x.test/a?b=1&c=2", "https://x.test/b"]
