"""Test clients: one whose every request runs in an app context of its own, and one logged in as a user.

``IsolatedClient``: each request runs in an app context of its own, as it does in production.

The ``app`` fixture keeps an app context pushed for the whole test, and Flask reuses a pushed context for requests,
so without this ``g`` would carry Flask-Login's user and Flask-WTF's CSRF token from one request (and one client)
to the next. The price: the test's database session is not the request's, so reload objects a request changed.
"""
from typing import ClassVar

from flask.testing import FlaskClient
from flask_login import FlaskLoginClient

from coursesite.accounts import sessions
from coursesite.extensions import db


class IsolatedClient(FlaskClient):
    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


class LoginClient(FlaskLoginClient):
    """Logged in as ``user=`` the way the login form does: its cookie names a live server-side login session
    (coursesite.accounts.sessions), started and committed here when the user object has none yet. Like
    ``IsolatedClient``, each request runs in an app context of its own. Made by ``tests.support.login_as``."""

    def __init__(self, *args, **kwargs):
        user = kwargs.get("user")
        if user is not None and not user.login_token:
            sessions.start(user, remember=False)
            db.session.commit()
        super().__init__(*args, **kwargs)

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


class BehindTLSProxy(IsolatedClient):
    """A browser on ``https://`` + :data:`PRODUCTION_HOST` as the app sees it behind one TLS proxy: the proxy speaks
    plain HTTP to the app and says ``X-Forwarded-Proto: https`` and ``X-Forwarded-For: <client>``. A test's own
    headers and ``base_url`` win (to play a client that bypasses the proxy, or a proxy that lies)."""

    FORWARDED: ClassVar[dict[str, str]] = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}

    def open(self, *args, **kwargs):
        if not args or isinstance(args[0], str):  # not a prepared request (a redirect being followed)
            kwargs.setdefault("base_url", f"http://{PRODUCTION_HOST}")
            kwargs["headers"] = {**self.FORWARDED, **dict(kwargs.get("headers") or {})}
        return super().open(*args, **kwargs)


PRODUCTION_HOST = "courses.example.org"
