"""Mail for every feature: ``send(to, subject, template, **context)`` and ``link(endpoint, **values)``.

A message has a plain-text part (``templates/mail/<template>.txt``) and an HTML part (``.html``), both rendered with
the same context. It goes by SMTP when ``MAIL_SERVER`` is set (``MAIL_USE_TLS`` for implicit TLS, ``MAIL_USE_STARTTLS``
to upgrade, ``MAIL_USERNAME``/``MAIL_PASSWORD`` to log in). When ``MAIL_OUTBOX`` is set (development) each message is
also written there as an ``.eml`` file and its text logged, so a newcomer can follow the links without a mail server.
Sending is synchronous: a failure raises, and the caller's request fails visibly rather than losing mail silently.
"""
from __future__ import annotations

import smtplib
import ssl
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, render_template


class MailNotConfigured(RuntimeError):
    """Neither MAIL_SERVER nor MAIL_OUTBOX is set, so a message would vanish."""


def link(endpoint: str, **values) -> str:
    """An absolute URL on ``BASE_URL`` (mail is read far from any request, so the request's host is no guide)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def build_message(to: str | Address, subject: str, template: str, **context) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message["Message-ID"] = make_msgid(domain=urlsplit(current_app.config["BASE_URL"]).hostname)
    message.set_content(render_template(f"mail/{template}.txt", **context))
    message.add_alternative(render_template(f"mail/{template}.html", **context), subtype="html")
    return message


def send(to: str | Address, subject: str, template: str, **context) -> EmailMessage:
    config = current_app.config
    if not config["MAIL_SERVER"] and not config["MAIL_OUTBOX"]:
        raise MailNotConfigured("set MAIL_SERVER (or MAIL_OUTBOX in development) to send mail")
    message = build_message(to, subject, template, **context)
    if config["MAIL_OUTBOX"]:
        keep_in_outbox(message, template)
    if config["MAIL_SERVER"]:
        deliver(message)
    return message


def deliver(message: EmailMessage) -> None:
    config = current_app.config
    tls = ssl.create_default_context()
    if config["MAIL_USE_TLS"]:
        connection = smtplib.SMTP_SSL(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"],
                                      context=tls)
    else:
        connection = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"])
    with connection as smtp:
        if config["MAIL_USE_STARTTLS"]:
            smtp.starttls(context=tls)
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


def keep_in_outbox(message: EmailMessage, template: str) -> Path:
    outbox = Path(current_app.config["MAIL_OUTBOX"])
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S-%f}-{template}.eml"
    path.write_bytes(message.as_bytes())
    current_app.logger.info("mail to %s, %r (saved in %s):\n%s", message["To"], message["Subject"], path,
                            message.get_body(("plain",)).get_content())
    return path
