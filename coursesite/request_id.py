"""One id per request, carried into every log line and into the jobs the request enqueues.

A request takes a sane incoming ``X-Request-ID`` (nginx sets one for each request it proxies, see
deploy/nginx/coursesite.conf) or makes one, and echoes it in the response header of the same name. The id lives in a
context variable rather than on ``flask.g``, so code outside a request can bind one too: the job consumer binds the
id stored with a job while it runs it (:func:`request_id_bound`), and the job's log lines carry the id of the request
that caused it.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

from flask import Flask, Response, request

HEADER = "X-Request-ID"
# What a proxy or a client may hand us: letters, digits and a few separators, as UUIDs and nginx's $request_id are.
# Anything else (too long, spaces, control characters that would forge log lines) is replaced by an id of our own.
SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

_current: ContextVar[str | None] = ContextVar("coursesite_request_id", default=None)
_ENVIRON_KEY = "coursesite.request_id_token"


def current_request_id() -> str | None:
    """The id of the request being served, or of the request whose job is running; None elsewhere."""
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def sane_request_id(candidate: str | None) -> str | None:
    """``candidate`` when it is safe to log and echo, else None."""
    if candidate and SANE_ID.fullmatch(candidate):
        return candidate
    return None


@contextmanager
def request_id_bound(request_id: str | None) -> Iterator[None]:
    """Run a block (say, a job) under ``request_id``; the previous id is back afterwards."""
    token = _current.set(request_id)
    try:
        yield
    finally:
        _current.reset(token)


def _take_request_id() -> None:
    token: Token[str | None] = _current.set(sane_request_id(request.headers.get(HEADER)) or new_request_id())
    request.environ[_ENVIRON_KEY] = token


def _echo_request_id(response: Response) -> Response:
    request_id = current_request_id()
    if request_id:
        response.headers[HEADER] = request_id
    return response


def _forget_request_id(_error: BaseException | None) -> None:
    token: Token[str | None] | None = request.environ.pop(_ENVIRON_KEY, None)
    if token is not None:
        _current.reset(token)


def init_app(app: Flask) -> None:
    # First of the before-request hooks, so the session loader's and every view's log lines carry the id.
    app.before_request_funcs.setdefault(None, []).insert(0, _take_request_id)
    app.after_request(_echo_request_id)
    app.teardown_request(_forget_request_id)
