"""``/healthz``: 200 when the database answers, 503 otherwise (for load balancers and uptime checks).

Load balancers probe the backend directly over plain HTTP, so in production this is the one URL not redirected to
HTTPS. It answers the same to everyone and carries no cookie or personal data, and names no server, URL or password:
only the state of each part. Redis (when ``REDIS_URL`` is set) and the job queue are reported but do not turn the
answer into a 503: without them pages still serve (rate limits fall back to memory, the page cache to none), so a
load balancer must keep sending traffic.
"""
from __future__ import annotations

import logging
import sqlite3
from typing import Any

import redis
from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from coursesite import jobs
from coursesite.extensions import db, limiter, talisman
from coursesite.permissions import public

bp = Blueprint("health", __name__)
logger = logging.getLogger(__name__)
REDIS_TIMEOUT_SECONDS = 1.0


def database_state() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return "unreachable"
    return "ok"


def redis_state(url: str) -> str:
    client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                                  socket_timeout=REDIS_TIMEOUT_SECONDS)
    try:
        client.ping()
    except redis.RedisError:
        return "unreachable"
    finally:
        client.close()
    return "ok"


def queue_state() -> dict[str, Any]:
    """Jobs waiting and jobs that failed for good (the dead letters staff can retry)."""
    try:
        return {"state": "ok", "depth": jobs.queue_depth(), "failed": jobs.failed_count()}
    except (redis.RedisError, sqlite3.Error, SQLAlchemyError) as error:
        # The queue's storage (Redis, or the embedded queue's SQLite file) is down: report it and keep answering, with
        # one log line per probe rather than a traceback (load balancers ask every few seconds).
        db.session.rollback()
        logger.warning("the job queue did not answer the health check: %s: %s", type(error).__name__, error)
        return {"state": "unreachable"}


@bp.get("/healthz")
@public
@talisman(force_https=False)
@limiter.exempt
def healthz() -> ResponseReturnValue:
    database = database_state()
    report: dict[str, Any] = {"status": "ok" if database == "ok" else "error", "database": database}
    if current_app.config["REDIS_URL"]:
        report["redis"] = redis_state(current_app.config["REDIS_URL"])
    if database == "ok":
        report["queue"] = queue_state()
    return jsonify(report), 200 if database == "ok" else 503
