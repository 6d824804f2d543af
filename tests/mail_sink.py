"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for tests that read the mail they cause."""
from __future__ import annotations

import re
import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

LINK = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class ReceivedMail:
    envelope_from: str
    envelope_to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()

    def links(self) -> list[str]:
        return LINK.findall(self.text)

    def link_to(self, path_fragment: str) -> str:
        """The one link in the text part whose URL contains ``path_fragment``."""
        (link,) = [link for link in self.links() if path_fragment in link]
        return link


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailSink:
    """``settings`` point an app at the server; ``received`` holds every message, oldest first."""

    def __init__(self) -> None:
        self.received: list[ReceivedMail] = []
        self._lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    @property
    def settings(self) -> dict[str, object]:
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.controller.port}

    async def handle_DATA(self, _server, _session, envelope) -> str:  # noqa: N802 - the name aiosmtpd calls
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self._lock:
            self.received.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def clear(self) -> None:
        with self._lock:
            self.received.clear()

    def to(self, address: str) -> list[ReceivedMail]:
        with self._lock:
            return [mail for mail in self.received if address.lower() in (rcpt.lower() for rcpt in mail.envelope_to)]

    def last_to(self, address: str) -> ReceivedMail:
        messages = self.to(address)
        assert messages, f"no mail reached {address}; received: {[m.envelope_to for m in self.received]}"
        return messages[-1]
