"""Log lines with the request id, as text for a person (development) or one JSON object a line (production).

``LOG_FORMAT`` (``text`` | ``json``) puts one handler on standard error on the root logger, so the app's loggers
(``coursesite.*``) and the libraries' (SQLAlchemy, Flask-Limiter, ...) all write the same format; Flask's own console
handler goes. Unset (the tests), logging is left as Flask sets it up. gunicorn's access log is configured in
deploy/gunicorn.conf.py and carries the same id (the ``X-Request-ID`` response header).
"""
from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

from flask import Flask
from flask.logging import default_handler

from coursesite.request_id import current_request_id

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record ("-" outside a request or job)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request_id (null outside a request or
    job), and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": _request_id_of(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _request_id_of(record: logging.LogRecord) -> str | None:
    request_id = getattr(record, "request_id", None)
    return None if request_id in (None, "-") else request_id


class AppLogHandler(logging.StreamHandler[TextIO]):
    """The one handler ``configure`` installs (a class of its own, so a second app replaces it, never adds one)."""


def make_handler(log_format: str) -> logging.Handler:
    handler = AppLogHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    return handler


def configure(app: Flask) -> None:
    """Install the ``LOG_FORMAT`` handler and set ``LOG_LEVEL`` on the app's logger."""
    log_format = app.config["LOG_FORMAT"]
    if log_format:
        if log_format not in LOG_FORMATS:
            raise RuntimeError(f"LOG_FORMAT must be {' or '.join(LOG_FORMATS)}, not {log_format!r}")
        root = logging.getLogger()
        for handler in [h for h in root.handlers if isinstance(h, AppLogHandler)]:
            root.removeHandler(handler)
        root.addHandler(make_handler(log_format))
        app.logger.removeHandler(default_handler)
        # The development server logs each request through "werkzeug", at INFO only when the root has no handler.
        werkzeug = logging.getLogger("werkzeug")
        if werkzeug.level == logging.NOTSET:
            werkzeug.setLevel(logging.INFO)
    if app.config["LOG_LEVEL"]:
        app.logger.setLevel(app.config["LOG_LEVEL"])
