"""STARTTLS and SMTP login, against a loopback aiosmtpd server with a certificate made for the test."""
from __future__ import annotations

import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from coursesite import mail
from coursesite.extensions import db
from tests.mail_sink import MailSink, free_port


class TlsMailSink(MailSink):
    """A sink that offers STARTTLS, insists on it, and accepts one username and password."""

    def __init__(self, certificate, key) -> None:
        super().__init__()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificate, key)
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port(), tls_context=context,
                                     require_starttls=True, auth_required=True, authenticator=self.authenticate)

    @staticmethod
    def authenticate(_server, _session, _envelope, _mechanism, auth_data) -> AuthResult:
        return AuthResult(success=(auth_data.login, auth_data.password) == (b"mailer", b"s3cret"))


class Person:
    full_name = "Ada Testwright"


@pytest.fixture
def certificate(tmp_path):
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(certificate)],
                   check=True, capture_output=True)
    return certificate, key


def test_mail_goes_over_starttls_with_a_login(app, certificate, monkeypatch):
    sink = TlsMailSink(*certificate)
    sink.start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # OpenSSL's default trust store, for this test
        app.config.update(sink.settings, MAIL_USE_STARTTLS=True, MAIL_USERNAME="mailer", MAIL_PASSWORD="s3cret")
        mail.send("ada@example.org", "Over TLS", "password_changed", user=Person(),
                  reset_url="https://example.org/reset")
        db.session.commit()
    finally:
        sink.stop()
    assert [received.subject for received in sink.to("ada@example.org")] == ["Over TLS"]
