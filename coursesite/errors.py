"""Friendly error pages: HTML for people, JSON for JSON clients, never a stack trace outside debug."""
from __future__ import annotations

from flask import Flask, abort, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

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


def reject_nul_bytes() -> None:
    """No address or query of ours holds a NUL byte, and PostgreSQL would refuse one with a 500. (Form fields are
    checked by their forms, which can say which field is wrong: see ``accounts.forms.printable_text``.)"""
    if "\x00" in request.path:
        abort(404)
    if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
        abort(400, "The address contained a character that is not allowed.")


def init_app(app: Flask) -> None:
    """Unhandled exceptions reach this as InternalServerError once Flask has logged them (outside debug)."""
    app.register_error_handler(HTTPException, render_error)
    app.before_request(reject_nul_bytes)
