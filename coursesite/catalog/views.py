"""Public catalogue pages: home, catalogue with filters, module page, speaker page."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, session
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from markupsafe import Markup

from coursesite.caching import cached
from coursesite.catalog import services
from coursesite.catalog.models import LECTURE_KINDS, Module
from coursesite.catalog.services import CE_HOUR_LABELS, CatalogFilters
from coursesite.extensions import limiter
from coursesite.permissions import public

bp = Blueprint("catalog", __name__)

ModulePagePart = Callable[[Module], dict[str, Any]]
"""What a package above the catalogue adds to a module's page (billing: its prices), listed by ``create_app`` in
``app.extensions["module_page_parts"]``. Called with the module while its page is rendered for the cache, so a part
returns plain data that depends on content only (an import bumps the content revision), never on who is looking."""


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


def render_page(key: str | None, template: str, context: Callable[[], dict | None]) -> str:
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
def home():
    return render_page("home", "catalog/home.html", lambda: {"body": Markup(cached("home", lambda: render_template(
        "catalog/_home_body.html", modules=services.published_modules(CatalogFilters())
    )))})


def _catalog_speakers() -> list[tuple[str, str]]:
    return cached("catalog-speakers", lambda: [
        (speaker.slug, speaker.name) for speaker in services.speakers_with_published_lectures()
    ])


@bp.get("/catalog")
@public
def catalog():
    filters = CatalogFilters.from_args(request.args)

    def render() -> str | None:
        found = services.catalog_page(filters)
        if found is None:
            return None
        return render_template("catalog/_catalog_body.html", found=found, speakers=_catalog_speakers(),
                               filters=filters, hour_labels=CE_HOUR_LABELS)

    def context() -> dict | None:
        body = cached(key, render) if key else render()
        return None if body is None else {"body": Markup(body)}

    # Only known filter values make cache entries, so made-up query strings cannot flood the cache (pages past the
    # last are a 404, never stored).
    known = not filters.speaker or filters.speaker in dict(_catalog_speakers())
    key = f"catalog:{filters.hours}:{filters.kind}:{filters.speaker}:{filters.page}" if known else None
    return render_page(key, "catalog/catalog.html", context)


def _module_page(slug: str) -> dict | None:
    """The page as plain data: it is cached and shared by every visitor and worker process."""
    module = services.published_module(slug)
    if module is None:
        return None
    return {"title": module.title, "summary": module.subtitle,
            "body": render_template("catalog/_module_body.html", module=module, **module_page_parts(module))}


def module_page_parts(module: Module) -> dict[str, Any]:
    """The values the packages above the catalogue add to the module page (see :data:`ModulePagePart`)."""
    values: dict[str, Any] = {}
    parts: list[ModulePagePart] = current_app.extensions["module_page_parts"]
    for part in parts:
        values.update(part(module))
    return values


def _speaker_page(slug: str) -> dict | None:
    """Plain data, cached like the module page."""
    found = services.speaker_page(slug)
    if found is None:
        return None
    speaker, lectures = found
    return {"name": speaker.display_name,
            "body": render_template("catalog/_speaker_body.html", speaker=speaker, lectures=lectures)}


def render_cached_page(key: str, compute, template: str):
    """A page whose body is cached per content revision; ``compute`` gives None for an unknown slug."""
    def context() -> dict | None:
        page = cached(key, compute)
        return None if page is None else {"page": page, "body": Markup(page["body"])}

    return render_page(key, template, context)


@bp.get("/modules/<slug>")
@public
def module(slug: str):
    return render_cached_page(f"module:{slug}", lambda: _module_page(slug), "catalog/module.html")


@bp.get("/speakers/<slug>")
@public
def speaker(slug: str):
    return render_cached_page(f"speaker:{slug}", lambda: _speaker_page(slug), "catalog/speaker.html")
