"""Friendly error pages: HTML for people, JSON for JSON clients, never a stack trace outside debug."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, abort, jsonify, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from coursesite.redirects import safe_next_path

TITLES = {
    400: "That request could not be understood",
    403: "You do not have access to this page",
    404: "Page not found",
    405: "That action is not allowed here",
    413: "That upload is too large",
    429: "Too many requests",
    500: "Something went wrong on our side",
}


def render_error(error: HTTPException):
    code = error.code or 500
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return jsonify(error=TITLES.get(code, error.name), description=error.description), code
    return render_template("errors/error.html", code=code, title=TITLES.get(code, error.name),
                           description=error.description), code


def render_csrf_error(error: CSRFError):
    """A form sent without a valid CSRF token, most often because it stayed open until the session ended. Still a
    400, but the page says what happened and leads back to the form (when it was on this site) or home."""
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return jsonify(error="The form has expired", description=error.description), 400
    back = same_site_referrer()
    return render_template("errors/csrf.html", back=back or url_for("catalog.home"), back_is_home=not back,
                           reason=error.description), 400


def same_site_referrer() -> str | None:
    """The path (and query) of the referring page when it is on this site, else None."""
    try:
        referrer = urlsplit(request.referrer or "")
    except ValueError:  # a header that is no URL at all, e.g. "http://[::1/x" (an unclosed IPv6 bracket)
        return None
    if referrer.netloc != request.host or referrer.scheme not in ("http", "https"):
        return None
    return safe_next_path(referrer.path + (f"?{referrer.query}" if referrer.query else ""))


def reject_nul_bytes() -> None:
    """No address, query or form of ours holds a NUL byte (no keyboard types one), and PostgreSQL would refuse one
    with a 500: refuse it here, once for every field of every form."""
    if "\x00" in request.path:
        abort(404)
    if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
        abort(400, "The address contained a character that is not allowed.")
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data") and any(
            "\x00" in key or "\x00" in value for key, value in request.form.items(multi=True)):
        abort(400, "A field of the form contained an invisible NUL character, which is not allowed. Go back, remove "
                   "it (retyping the field is the surest way) and send the form again.")


def init_app(app: Flask) -> None:
    """Unhandled exceptions reach this as InternalServerError once Flask has logged them (outside debug)."""
    app.register_error_handler(CSRFError, render_csrf_error)
    app.register_error_handler(HTTPException, render_error)
    app.before_request(reject_nul_bytes)
