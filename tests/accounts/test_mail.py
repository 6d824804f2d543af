"""coursesite.mail: SMTP delivery, the development outbox, links on BASE_URL."""
from __future__ import annotations

import logging
from email import message_from_bytes, policy
from email.headerregistry import Address

import pytest

from coursesite import mail
from tests.accounts.conftest import ZOE


class Person:
    full_name = ZOE


def test_send_delivers_a_text_and_an_html_part_over_smtp(app, mailbox):
    to = Address(display_name=ZOE, addr_spec="zoe@example.org")
    mail.send(to, f"Bonjour {ZOE}", "password_changed", user=Person(), reset_url="https://example.org/reset")
    (received,) = mailbox.received
    assert received.envelope_to == ["zoe@example.org"]
    assert received.subject == f"Bonjour {ZOE}"
    assert str(received.message["To"]) == f"{ZOE} <zoe@example.org>"
    assert received.message["Message-ID"].endswith("@127.0.0.1>")
    assert received.message.is_multipart()
    assert f"Hello {ZOE}," in received.text
    assert '<a href="https://example.org/reset">' in received.html


def test_links_are_built_on_base_url(app):
    app.config["BASE_URL"] = "https://ce.example.org/school"
    assert mail.link("auth.confirm", token="abc") == "https://ce.example.org/school/auth/confirm/abc"


def test_development_keeps_every_message_in_the_outbox_and_the_log(app, mailbox, tmp_path, caplog):
    app.config.update(MAIL_SERVER=None, MAIL_OUTBOX=str(tmp_path / "outbox"))
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        mail.send("ada@example.org", "Confirm your email address", "confirm_email", user=Person(),
                  confirm_url="http://127.0.0.1:5000/auth/confirm/abc", valid_for="3 days")
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
