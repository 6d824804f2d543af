"""Friendly error pages: HTML for people, JSON for JSON clients, never a stack trace outside debug."""
from __future__ import annotations

from urllib.parse import quote

from flask import Flask, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.routing import RequestRedirect

from coursesite.redirects import safe_next_path, split_url

TITLES = {
    400: "That request could not be understood",
    403: "You do not have access to this page",
    404: "Page not found",
    405: "That action is not allowed here",
    413: "That upload is too large",
    429: "Too many requests",
    500: "Something went wrong on our side",
}


# Headers an error carries that a browser or client still needs on our own page (405's Allow, 429's Retry-After).
KEPT_HEADERS = ("Allow", "Retry-After")
PLAIN_TEXT = {"Content-Type": "text/plain; charset=utf-8"}
PLAIN_ERROR = "{title}. Please try again in a few minutes.\n"


def render_error(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    if code == 404:
        canonical = canonical_location()
        if canonical:
            return redirect(canonical, code=308)
    headers = {name: value for name, value in error.get_headers() if name in KEPT_HEADERS}
    # Werkzeug's stock wording ("read-protected or not readable by the server") is replaced by the page's own; a
    # description a view gave with abort(code, "...") is meant for the reader and shown, but never the rate limit's
    # own ("5 per 1 minute") or anything about a failure of ours.
    own_words = code in (429, 500) or error.description == type(error).description
    description = None if own_words else error.description
    if wants_json():
        return jsonify(error=TITLES.get(code, error.name), description=description or error.description), code, headers
    try:
        page = render_template("errors/error.html", code=code, title=TITLES.get(code, error.name),
                               description=description)
    except Exception:  # the layout needs the database (the logged-in person), which may be the very thing down
        current_app.logger.exception("the %s page could not be rendered; answered in plain text", code)
        return PLAIN_ERROR.format(title=TITLES.get(code, error.name)), code, {**headers, **PLAIN_TEXT}
    return page, code, headers


def wants_json() -> bool:
    """A JSON client (the Stripe webhook, an ``Accept: application/json`` caller) gets JSON errors."""
    return request.accept_mimetypes.best == "application/json" or request.is_json


def canonical_location() -> str | None:
    """For an address that matched no route only because of its trailing slash (``/catalog/``), the same address
    without it, query string kept, if a route answers it for this method; else None.

    Only relative paths that ``safe_next_path`` accepts: ``//evil.example/`` would otherwise become the
    protocol-relative ``//evil.example``, a redirect off the site.
    """
    path = request.path
    if request.url_rule is not None or path == "/" or not path.endswith("/"):
        return None
    stripped = path.rstrip("/")
    if not stripped or safe_next_path(stripped) is None:
        return None
    adapter = current_app.url_map.bind("localhost")
    try:
        adapter.match(stripped, method=request.method)
    except RequestRedirect:
        pass  # Werkzeug would itself redirect it onwards (merged slashes): it is a route
    except HTTPException:
        return None
    query = request.query_string.decode("latin-1")
    # ``request.path`` is decoded: encode it again, or a slug's "%3F" or "%23" would become a query or a fragment.
    return request.script_root + quote(stripped, safe="/:@!$&'()*+,;=") + (f"?{query}" if query else "")


def render_csrf_error(error: CSRFError) -> ResponseReturnValue:
    """A form sent without a valid CSRF token, most often because it stayed open until the session ended. Still a
    400, but the page says what happened and leads back to the form (when it was on this site) or home."""
    if wants_json():
        return jsonify(error="The form has expired", description=error.description), 400
    back = same_site_referrer()
    return render_template("errors/csrf.html", back=back or url_for("catalog.home"), back_is_home=not back,
                           reason=error.description), 400


def same_site_referrer() -> str | None:
    """The path (and query) of the referring page when it is on this site, else None."""
    referrer = split_url(request.referrer)
    if referrer is None or referrer.netloc != request.host or referrer.scheme not in ("http", "https"):
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


def refuse_untrusted_host(_error: SecurityError) -> ResponseReturnValue:
    """A Host header outside ``TRUSTED_HOSTS`` (see ``configure_trusted_hosts``): a plain 400 that names no host. No
    page of ours can be rendered for it, since every link on one is built from the host Flask has just refused."""
    return "Unknown host.\n", 400, PLAIN_TEXT


def init_app(app: Flask) -> None:
    """Unhandled exceptions reach this as InternalServerError once Flask has logged them (outside debug)."""
    app.register_error_handler(SecurityError, refuse_untrusted_host)
    app.register_error_handler(CSRFError, render_csrf_error)
    app.register_error_handler(HTTPException, render_error)
    app.before_request(reject_nul_bytes)
