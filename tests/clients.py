"""A test client whose every request runs in an app context of its own, as it does in production.

The ``app`` fixture keeps an app context pushed for the whole test, and Flask reuses a pushed context for requests,
so without this ``g`` would carry Flask-Login's user and Flask-WTF's CSRF token from one request (and one client)
to the next. The price: the test's database session is not the request's, so reload objects a request changed.
"""
from flask.testing import FlaskClient


class IsolatedClient(FlaskClient):
    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)
