"""Staff rights and route markers: the one home of "who may do what" and of "what does this route need".

**Rights.** Staff may do named things (:class:`Right`); :data:`RIGHTS_BY_ROLE` is the one table that gives each role
its rights. Ask :func:`has_right` in code, ``can("view_audit")`` in templates, and mark a view with
:func:`requires_right`.

**The one answer** for people without the right: a visitor is sent to log in (``login_manager.unauthorized()``), a
logged-in person without the right gets 403 Forbidden.

**Route markers.** Every view function carries exactly one marker, so a test over ``app.url_map`` can check that no
route was left without a decision (``tests/test_route_markers.py``):

- :func:`public`: anyone, logged in or not (the decorator only tags);
- :func:`login_required`: any logged-in person (Flask-Login's, tagged);
- :func:`requires_module_access`: whoever may use the module the route is about, as its gate decides;
- :func:`requires_right`: whoever holds the right.

Put the marker right under the route decorator (and any rate limit), above the view::

    @bp.get("/staff/audit")
    @requires_right(Right.VIEW_AUDIT)
    def audit_log(): ...

This module imports no feature package: gates live with the package whose pages they guard.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from typing import Any, Protocol, TypeGuard, TypeVar, cast

import flask_login
from flask import Response, abort, current_app, g, request
from flask_login import current_user

from coursesite.extensions import login_manager

View = TypeVar("View", bound=Callable[..., Any])


class Right(StrEnum):
    """What staff may do. A package that needs a new right adds it here and gives it to roles in the table below."""

    MANAGE_CATALOG = "manage_catalog"  # edit modules, lectures and the catalogue
    VIEW_ALL_MODULES = "view_all_modules"  # open every module without an entitlement, to check the catalogue
    GRANT_ACCESS = "grant_access"  # grant and revoke learners' access (/staff/access, flask billing grant|revoke)
    VIEW_AUDIT = "view_audit"  # read the audit log (/staff/audit)
    MODERATE_FORUM = "moderate_forum"  # hide posts, lock threads, handle reports
    VIEW_REPORTS = "view_reports"  # sales and usage reports
    MANAGE_CERTIFICATES = "manage_certificates"  # revoke and reissue certificates; reset learners' test attempts
    MANAGE_ORGANIZATIONS = "manage_organizations"  # list every organisation and look into any (read only)
    MANAGE_JOBS = "manage_jobs"  # see background jobs that failed for good and run them again (/staff/jobs)


# The one table of who may do what: every role, and its rights. Admins hold every right; a learner none.
RIGHTS_BY_ROLE: Mapping[str, frozenset[Right]] = {
    "learner": frozenset(),
    "editor": frozenset({Right.MANAGE_CATALOG, Right.VIEW_ALL_MODULES}),
    "moderator": frozenset({Right.MODERATE_FORUM}),
    "admin": frozenset(Right),
}
ROLES = tuple(RIGHTS_BY_ROLE)  # what ``User.role`` may hold (the users table checks it)


def roles_with(right: Right) -> tuple[str, ...]:
    """The roles holding ``right``: for a query, say "mail everyone who may grant access"."""
    return tuple(role for role, rights in RIGHTS_BY_ROLE.items() if right in rights)


class Viewer(Protocol):
    """Who is asking: ``current_user``, a logged-in user or Flask-Login's anonymous visitor. Only
    ``is_authenticated`` is common to both: check :func:`signed_in` before reading a member's ``id`` or ``role``."""

    @property
    def is_authenticated(self) -> bool: ...


class Member(Viewer, Protocol):
    """A logged-in person as the policy functions read one (``accounts.models.User``, which this module may not
    import)."""

    @property
    def id(self) -> int: ...

    @property
    def role(self) -> str: ...


def signed_in(viewer: Viewer | None) -> TypeGuard[Member]:
    """Is ``viewer`` a logged-in person (not a visitor, not ``None``)?"""
    return viewer is not None and viewer.is_authenticated


def rights_of(user: Viewer | None) -> frozenset[Right]:
    """The rights ``user`` holds: none for a visitor (or ``None``)."""
    if not signed_in(user):
        return frozenset()
    return RIGHTS_BY_ROLE.get(user.role, frozenset())


def has_right(user: Viewer | None, right: Right) -> bool:
    return right in rights_of(user)


def is_staff(user: Viewer | None) -> bool:
    """Does ``user`` hold any right (an editor, a moderator or an admin)?"""
    return bool(rights_of(user))


def can(right: str) -> bool:
    """The template function: ``{% if can("view_audit") %}``. An unknown name raises, so a typo cannot hide a link."""
    return has_right(current_user, Right(right))


# Route markers ------------------------------------------------------------------------------------------------------

class Marker(StrEnum):
    PUBLIC = "public"
    LOGIN = "login_required"
    MODULE_ACCESS = "requires_module_access"
    RIGHT = "requires_right"


MARKERS_ATTRIBUTE = "route_markers"
RIGHT_ATTRIBUTE = "required_right"


def _tag(view: View, marker: Marker) -> View:
    """Add ``marker`` to the view's markers (``functools.wraps`` copies those of the view it wraps, so a view marked
    twice shows both, and the route-marker test refuses it)."""
    setattr(view, MARKERS_ATTRIBUTE, (*route_markers(view), marker))
    return view


def route_markers(view: Callable[..., Any]) -> tuple[Marker, ...]:
    return cast(tuple[Marker, ...], getattr(view, MARKERS_ATTRIBUTE, ()))


def route_marker(view: Callable[..., Any]) -> Marker | None:
    """The marker ``view`` carries; None when it carries none, or more than one."""
    markers = route_markers(view)
    return markers[0] if len(markers) == 1 else None


def required_right(view: Callable[..., Any]) -> Right | None:
    """The right a :func:`requires_right` view asks for."""
    return cast(Right | None, getattr(view, RIGHT_ATTRIBUTE, None))


def public(view: View) -> View:
    """Anyone may open this route. Only tags the view: the decision is written down, nothing is enforced."""
    return _tag(view, Marker.PUBLIC)


def login_required(view: View) -> View:
    """Any logged-in person; visitors are sent to log in (Flask-Login's ``login_required``, tagged)."""
    return _tag(cast(View, flask_login.login_required(view)), Marker.LOGIN)


def requires_right(right: Right) -> Callable[[View], View]:
    """Only people holding ``right``: visitors are sent to log in, everyone else without it gets 403."""
    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not has_right(current_user, right):
                abort(403)
            return view(*args, **kwargs)

        setattr(guarded, RIGHT_ATTRIBUTE, right)
        return _tag(cast(View, guarded), Marker.RIGHT)

    return decorate


@dataclass(frozen=True)
class Refused:
    """What a module-access gate returns to stop the view: ``response`` (None: a 404)."""

    response: Any = None


def requires_module_access(gate: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The one way a view says "my content needs access to a module", and enforces it.

    Before the view, ``gate(user, **view_args)`` loads what the view is about and asks the access policy
    (:mod:`coursesite.billing.access`). It returns either what it loaded, which the view receives as its first
    argument, or :class:`Refused` (by default a 404; or the response to send, say a "locked" page)::

        @bp.get("/modules/<slug>/test")
        @requires_module_access(module_gate)
        def test_page(module, slug): ...
    """
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(**view_args: Any) -> Any:
            allowed = gate(current_user, **view_args)
            if isinstance(allowed, Refused):
                if allowed.response is None:
                    abort(404)
                return allowed.response
            return view(allowed, **view_args)

        return _tag(guarded, Marker.MODULE_ACCESS)

    return decorate


# Caching ------------------------------------------------------------------------------------------------------------

def keep_private_responses_out_of_caches(response: Response) -> Response:
    """``Cache-Control: no-store`` on every response that may carry personal or paid content, so neither a shared
    cache nor the browser keeps it (an after-request hook; the one place this is decided):

    - every route not marked :func:`public` (login, module access, a right). A module-access page answers it too
      when it shows a free preview: the same page shows a logged-in learner's progress and notes, and other
      lectures' paid content lives at URLs of the same shape;
    - every page answered to a logged-in person (it names them, and lists their things);
    - every page carrying a form: its CSRF token belongs to one visitor's session;
    - every URL holding a one-time token (a ``<token>`` argument: confirmation, reset and invitation links).

    A response that calls itself ``public`` is left as it is: a gated route serving content that is the same for
    everyone (a preview lecture's media file, see coursesite/learning/media.py). So are static files, and public
    routes answered to visitors (the catalogue), which the views' own caching decides.
    """
    if response.status_code >= 500:  # never kept; and asks nothing of the user loader, whose database may be down
        response.headers["Cache-Control"] = "no-store"
        return response
    if response.cache_control.public or request.endpoint in (None, "static"):
        return response
    view = current_app.view_functions.get(request.endpoint)
    private_route = view is not None and route_marker(view) is not Marker.PUBLIC
    carries_a_form = current_app.config["WTF_CSRF_FIELD_NAME"] in g
    if private_route or current_user.is_authenticated or carries_a_form or "token" in (request.view_args or {}):
        response.headers["Cache-Control"] = "no-store"  # in place of whatever the view set
    return response
