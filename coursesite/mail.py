"""Mail for every feature: ``send(to, subject, template, **context)`` and ``link(endpoint, **values)``.

A message has a plain-text part (``templates/mail/<template>.txt``) and an HTML part (``.html``), both rendered with
the same context. It goes by SMTP when ``MAIL_SERVER`` is set (``MAIL_USE_TLS`` for implicit TLS, ``MAIL_USE_STARTTLS``
to upgrade, ``MAIL_USERNAME``/``MAIL_PASSWORD`` to log in). When ``MAIL_OUTBOX`` is set (development) each message is
also written there as an ``.eml`` file with its decoded text (``.txt``, ``.html``) beside it, and its links logged,
so a newcomer can follow them without a mail server.

``send`` composes the message in the caller (templates and links need the app and the request's data) and adds it to
the caller's database transaction as a job (coursesite/jobs): it goes out once that transaction commits, from a
consumer, retried with back-off when the SMTP server fails, and never if the transaction rolls back. So every
caller commits after ``send``. A message that fails for good is on /staff/jobs (docs/jobs.md).
"""
from __future__ import annotations

import re
import smtplib
import ssl
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template

from coursesite import jobs
from coursesite.text import printable_only

LINK = re.compile(r"https?://[^\s<>\"']+")


class MailNotConfigured(RuntimeError):
    """Neither MAIL_SERVER nor MAIL_OUTBOX is set, so a message would vanish."""


def link(endpoint: str, **values: Any) -> str:
    """An absolute URL on ``BASE_URL`` (mail is read far from any request, so the request's host is no guide)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def recipient(name: str, email: str) -> Address:
    """The ``to`` of a message to a named person: the name through ``printable_only`` (see ``build_message``)."""
    return Address(display_name=printable_only(name), addr_spec=email)


def draft(to: str | Address, subject: str, template: str, **context: Any) -> dict[str, str]:
    """The message as plain strings (JSON for its job), its two parts rendered now: templates and links need the app
    and the caller's data. Building the MIME message is the consumer's work (:func:`compose`).

    The subject and the recipient's name (see ``recipient``) often hold text people typed (an organisation, a
    person), so they pass through ``printable_only``: a CR or LF would otherwise fail the message and another control
    character break the header. The library then encodes what is not ASCII (RFC 2047)."""
    return {
        "to": str(to),
        "subject": printable_only(subject),
        "date": format_datetime(datetime.now(UTC)),
        "message_id": make_msgid(domain=urlsplit(current_app.config["BASE_URL"]).hostname),
        "text": render_template(f"mail/{template}.txt", **context),
        "html": render_template(f"mail/{template}.html", **context),
        "outbox_name": f"{datetime.now(UTC):%Y%m%d-%H%M%S-%f}-{template}",  # one file, however many attempts
    }


def compose(parts: dict[str, str]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = parts["subject"]
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = parts["to"]
    message["Date"] = parts["date"]
    message["Message-ID"] = parts["message_id"]
    message.set_content(parts["text"])
    message.add_alternative(parts["html"], subtype="html")
    return message


def build_message(to: str | Address, subject: str, template: str, **context: Any) -> EmailMessage:
    return compose(draft(to, subject, template, **context))


MAIL_JOB = "mail"


def send(to: str | Address, subject: str, template: str, **context: Any) -> None:
    """Render the message and add it to the caller's transaction; it is delivered after the caller commits."""
    config = current_app.config
    if not config["MAIL_SERVER"] and not config["MAIL_OUTBOX"]:
        raise MailNotConfigured("set MAIL_SERVER (or MAIL_OUTBOX in development) to send mail")
    parts = draft(to, subject, template, **context)
    jobs.enqueue(MAIL_JOB, parts, label=f"mail to {parts['to']}: {parts['subject']}")


@jobs.handles(MAIL_JOB)
def deliver_job(parts: dict[str, Any]) -> None:
    """A consumer's half of ``send``: build the message, keep it in the development outbox, deliver it by SMTP."""
    message = compose(parts)
    config = current_app.config
    if config["MAIL_OUTBOX"]:
        keep_in_outbox(message, parts["outbox_name"])
    if config["MAIL_SERVER"]:
        deliver(message)


def deliver(message: EmailMessage) -> None:
    config = current_app.config
    connection: smtplib.SMTP
    if config["MAIL_USE_TLS"]:
        connection = smtplib.SMTP_SSL(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"],
                                      context=ssl.create_default_context())
    else:
        connection = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"])
    with connection as smtp:
        if config["MAIL_USE_STARTTLS"]:
            # Loading the system's certificates takes tens of milliseconds: only when the connection uses them.
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


def keep_in_outbox(message: EmailMessage, name: str) -> Path:
    """Write ``message`` to the outbox as ``<name>.eml`` and, decoded, as ``.txt`` (and ``.html``) beside it, then
    log its links: an ``.eml`` is quoted-printable, so a link copied from it would be cut at a soft line break (``…=``).
    """
    outbox = Path(current_app.config["MAIL_OUTBOX"])
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{name}.eml"
    path.write_bytes(message.as_bytes())
    text = _body_text(message, "plain")
    path.with_suffix(".txt").write_text(text, encoding="utf-8")
    html = _body_text(message, "html")
    if html:
        path.with_suffix(".html").write_text(html, encoding="utf-8")
    links = "".join(f"\n  {url}" for url in links_in(text)) or " none"
    current_app.logger.info("mail to %s, %r (saved in %s); links:%s", message["To"], message["Subject"],
                            path.with_suffix(".txt"), links)
    return path


def _body_text(message: EmailMessage, subtype: str) -> str:
    part = message.get_body((subtype,))
    return part.get_content() if isinstance(part, EmailMessage) else ""


def links_in(text: str) -> list[str]:
    """The web addresses in a plain-text mail, in order, each once."""
    return list(dict.fromkeys(match.rstrip(".,;:)") for match in LINK.findall(text)))
