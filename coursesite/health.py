"""``/healthz``: 200 when the database answers, 503 otherwise (for load balancers and uptime checks).

Load balancers probe the backend directly over plain HTTP, so in production this is the one URL not redirected to
HTTPS. It answers the same to everyone and carries no cookie or personal data.
"""
from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from coursesite.extensions import db, limiter, talisman
from coursesite.permissions import public

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
@talisman(force_https=False)
@limiter.exempt
def healthz() -> ResponseReturnValue:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
