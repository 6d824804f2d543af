"""The search page (``/search?q=…&page=…``), reached from the box in every page's header."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from coursesite.extensions import account_rate_limit_key, limiter
from coursesite.learning.search import parse_page, parse_query, search
from coursesite.permissions import public

bp = Blueprint("search", __name__)

# Generous for a person, a brake on a script (per account, or per address for visitors).
SEARCH_RATE_LIMIT = "60/minute"


@bp.get("/search")
@public
@limiter.limit(SEARCH_RATE_LIMIT, key_func=account_rate_limit_key)
def results() -> ResponseReturnValue:
    query = parse_query(request.args.get("q", type=str))
    page, page_message = parse_page(request.args.get("page", type=str))
    found = search(query, current_user if current_user.is_authenticated else None, page)
    return render_template("learning/search.html", results=found, page_message=page_message)
