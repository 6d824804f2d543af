"""Public catalogue pages: home, catalogue with filters, module page, speaker page."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, session
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from markupsafe import Markup

from coursesite.accounts.models import User
from coursesite.caching import cached
from coursesite.catalog import services
from coursesite.catalog.models import LECTURE_KINDS, Module
from coursesite.catalog.services import CE_HOUR_LABELS, CatalogFilters, ModuleOnPage
from coursesite.extensions import limiter
from coursesite.permissions import public

bp = Blueprint("catalog", __name__)

ModulePagePart = Callable[[Module], dict[str, Any]]
"""What a package above the catalogue adds to a module's page (billing: its prices), listed by ``create_app`` in
``app.extensions["module_page_parts"]``. Called with the module while its page is rendered for the cache, so a part
returns plain data that depends on content only (an import bumps the content revision), never on who is looking."""


VIEWER_PLACES = ("status", "side")
ModuleViewerPart = Callable[[ModuleOnPage, User | None], dict[str, Markup]]
"""What a package above the catalogue shows on a module page for the person looking (billing: their access and the
prices on offer to them), listed by ``create_app`` in ``app.extensions["module_viewer_parts"]``. Called on every view
with the cached :class:`ModuleOnPage` and the logged-in user, or None for a visitor; returns HTML by place (one of
:data:`VIEWER_PLACES`): ``status`` under the module's heading, ``side`` in the column beside the content (below it on
a phone). It is rendered outside the cached body, but a visitor's whole page is shared by every visitor: with None a
part depends on content only. At most one query per logged-in view."""

ModuleCardPart = Callable[[Sequence[int]], dict[int, str]]
"""A line of plain text a package above the catalogue adds to module cards (billing: "From $265"), listed by
``create_app`` in ``app.extensions["module_card_parts"]``. Called once per list with the ids of the modules on it
(one query for the whole list, never one per card) while the list is rendered for the cache: content only."""


@bp.record_once
def register_template_names(state: BlueprintSetupState) -> None:
    """Names any template may use (coursesite/templating.py, shared by every package, imports no feature)."""
    state.app.jinja_env.globals["lecture_kinds"] = LECTURE_KINDS


@limiter.request_filter
def is_public_catalogue_page() -> bool:
    """Public, cached pages are not rate limited (the limits guard the forms that change things). A request filter
    rather than ``limiter.exempt(bp)``: it is asked before the limiter resolves any limit, which keeps the most
    viewed pages on the cheapest path."""
    return request.blueprint == "catalog"


def render_page(key: str | None, template: str, context: Callable[[], dict[str, Any] | None]) -> str:
    """The whole page, or a 404 when ``context()`` (the template's values, usually holding a cached body) is None.

    For a visitor who is not logged in and has no message waiting, the layout around the body is the same for
    everyone too (no account links, no CSRF token), so the whole page is cached per content revision under ``key``
    (None: not cacheable) and, once cached, costs one cache read: ``context`` is not even called. Logged-in people
    get their own header, rendered each time."""
    def page() -> str | None:
        values = context()
        return None if values is None else render_template(template, **values)

    if key is None or current_user.is_authenticated or session.get("_flashes"):
        html = page()
    else:
        html = cached(f"page:{key}", page)
    if html is None:
        abort(404)
    return html


@bp.get("/")
@public
def home() -> str:
    def render() -> str:
        modules = services.published_modules(CatalogFilters())
        return render_template("catalog/_home_body.html", modules=modules, card_lines=module_card_lines(modules))

    def context() -> dict[str, Any]:
        return {"body": Markup(cached("home", render))}  # noqa: S704 - rendered by Jinja, which escaped every value

    return render_page("home", "catalog/home.html", context)


def module_card_lines(modules: Sequence[Module]) -> dict[int, list[str]]:
    """The lines the packages above the catalogue add to these modules' cards (see :data:`ModuleCardPart`)."""
    lines: dict[int, list[str]] = {}
    if not modules:
        return lines
    parts: list[ModuleCardPart] = current_app.extensions["module_card_parts"]
    for part in parts:
        for module_id, line in part([module.id for module in modules]).items():
            lines.setdefault(module_id, []).append(line)
    return lines


def _catalog_speakers() -> list[tuple[str, str]]:
    return cached("catalog-speakers", lambda: [
        (speaker.slug, speaker.name) for speaker in services.speakers_with_published_lectures()
    ])


@bp.get("/catalog")
@public
def catalog() -> str:
    filters = CatalogFilters.from_args(request.args)

    def render() -> str | None:
        found = services.catalog_page(filters)
        if found is None:
            return None
        return render_template("catalog/_catalog_body.html", found=found, speakers=_catalog_speakers(),
                               filters=filters, hour_labels=CE_HOUR_LABELS, card_lines=module_card_lines(found.modules))

    def context() -> dict[str, Any] | None:
        body = cached(key, render) if key else render()
        return None if body is None else {"body": Markup(body)}  # noqa: S704 - rendered by Jinja, which escaped every value

    # Only known filter values make cache entries, so made-up query strings cannot flood the cache (pages past the
    # last are a 404, never stored).
    known = not filters.speaker or filters.speaker in dict(_catalog_speakers())
    key = f"catalog:{filters.hours}:{filters.kind}:{filters.speaker}:{filters.page}" if known else None
    return render_page(key, "catalog/catalog.html", context)


def _module_page(slug: str) -> dict[str, Any] | None:
    """The page as plain data: it is cached and shared by every visitor and worker process."""
    module = services.published_module(slug)
    if module is None:
        return None
    parts = module_page_parts(module)
    first_lecture = module.lectures[0].slug if module.lectures else None
    return {"title": module.title, "summary": module.subtitle,
            "module": ModuleOnPage(module.id, module.slug, first_lecture, parts),
            "header": render_template("catalog/_module_header.html", module=module, **parts),
            "body": render_template("catalog/_module_body.html", module=module, **parts)}


def module_page_parts(module: Module) -> dict[str, Any]:
    """The values the packages above the catalogue add to the module page (see :data:`ModulePagePart`)."""
    values: dict[str, Any] = {}
    parts: list[ModulePagePart] = current_app.extensions["module_page_parts"]
    for part in parts:
        values.update(part(module))
    return values


def module_viewer_parts(module: ModuleOnPage) -> dict[str, Markup]:
    """What the packages above the catalogue show the person looking, by place (see :data:`ModuleViewerPart`)."""
    viewer = current_user._get_current_object() if current_user.is_authenticated else None
    places = {place: Markup() for place in VIEWER_PLACES}
    parts: list[ModuleViewerPart] = current_app.extensions["module_viewer_parts"]
    for part in parts:
        for place, html in part(module, viewer).items():
            places[place] += html
    return places


def _speaker_page(slug: str) -> dict[str, Any] | None:
    """Plain data, cached like the module page."""
    found = services.speaker_page(slug)
    if found is None:
        return None
    speaker, lectures = found
    return {"name": speaker.display_name,
            "body": render_template("catalog/_speaker_body.html", speaker=speaker, lectures=lectures)}


def render_cached_page(key: str, compute: Callable[[], dict[str, Any] | None], template: str,
                       per_viewer: Callable[[dict[str, Any]], dict[str, Any]] = lambda page: {}) -> str:
    """A page whose body is cached per content revision; ``compute`` gives None for an unknown slug.

    ``per_viewer(page)`` adds what depends on who is looking, rendered around the cached body on every view."""
    def context() -> dict[str, Any] | None:
        page = cached(key, compute)
        if page is None:
            return None
        body = Markup(page["body"])  # noqa: S704 - rendered by Jinja, which escaped every value
        return {"page": page, "body": body, **per_viewer(page)}

    return render_page(key, template, context)


@bp.get("/modules/<slug>")
@public
def module(slug: str) -> str:
    # The key names the entry's shape (header, body and module apart, since the viewer parts): entries an older
    # release cached under "module:<slug>" (until they expire) are never read as this shape.
    return render_cached_page(f"module-page:{slug}", lambda: _module_page(slug), "catalog/module.html",
                              _module_viewer)


def _module_viewer(page: dict[str, Any]) -> dict[str, Any]:
    """Around the cached body: its cached header (rendered apart so the viewer's status can follow it) and what the
    packages above the catalogue show the person looking."""
    header = Markup(page["header"])  # noqa: S704 - rendered by Jinja, which escaped every value
    return {"header": header, "viewer": module_viewer_parts(page["module"])}


@bp.get("/speakers/<slug>")
@public
def speaker(slug: str) -> str:
    return render_cached_page(f"speaker:{slug}", lambda: _speaker_page(slug), "catalog/speaker.html")
