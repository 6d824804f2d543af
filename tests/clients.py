"""Test clients: one whose every request runs in an app context of its own, and one logged in as a user.

``IsolatedClient``: each request runs in an app context of its own, as it does in production.

The ``app`` fixture keeps an app context pushed for the whole test, and Flask reuses a pushed context for requests,
so without this ``g`` would carry Flask-Login's user and Flask-WTF's CSRF token from one request (and one client)
to the next. The price: the test's database session is not the request's, so reload objects a request changed.
"""
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
