"""The reading pages of a module: study guides, the glossary and the bibliography (with BibTeX and RIS downloads).

Every page needs access to the module; visitors and learners without it get the "locked" page (403) telling them
what they are missing, as locked lectures do. A lecture's own references download for whoever may watch the lecture
(free previews: everyone), since its page lists them.
"""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue

from coursesite.billing.access import can_watch, has_access
from coursesite.catalog.models import Module, StudyGuide
from coursesite.catalog.services import published_module_only
from coursesite.learning import bibliography as bib
from coursesite.learning.glossary import glossary_page, module_terms
from coursesite.learning.reading import find_guide, guide_links, guide_page
from coursesite.learning.services import LecturePlace, find_lecture
from coursesite.permissions import Refused, Viewer, requires_module_access

bp = Blueprint("reading", __name__)

FORMATS = "any(bib, ris)"


def _locked(module: Module, what: str) -> Refused:
    return Refused((render_template("learning/reading_locked.html", module=module, what=what), 403))


def module_gate(user: Viewer | None, slug: str, what: str = "The reading", **_: str) -> Module | Refused:
    """The published module ``slug`` for people with access to it; a 404 when there is none."""
    module = published_module_only(slug)
    if module is None:
        return Refused()
    if not has_access(user, module.id):
        return _locked(module, what)
    return module


def glossary_gate(user: Viewer | None, slug: str) -> Module | Refused:
    return module_gate(user, slug, "The glossary")


def bibliography_gate(user: Viewer | None, slug: str, **_: str) -> Module | Refused:
    return module_gate(user, slug, "The bibliography")


GuidePlace = tuple[Module, StudyGuide, list[StudyGuide]]


def guide_gate(user: Viewer | None, slug: str, guide_slug: str) -> GuidePlace | Refused:
    """The guide with its module and the module's guides; a 404 for a guide that does not exist."""
    module = published_module_only(slug)
    found = find_guide(module, guide_slug) if module is not None else None
    if module is None or found is None:
        return Refused()
    if not has_access(user, module.id):
        return _locked(module, f"The study guide “{found[0].title}”")
    return module, *found


def lecture_gate(user: Viewer | None, slug: str, lecture_slug: str, **_: str) -> LecturePlace | Refused:
    """The lecture, for those who may watch it: its references download with it."""
    place = find_lecture(slug, lecture_slug)
    if place is None:
        return Refused()
    if not can_watch(user, place.lecture):
        return _locked(place.module, f"The references of “{place.lecture.title}”")
    return place


@bp.get("/modules/<slug>/guides/<guide_slug>")
@requires_module_access(guide_gate)
def guide(place: GuidePlace, slug: str, guide_slug: str) -> ResponseReturnValue:
    module, study_guide, guides = place
    page = guide_page(module, study_guide, guides, module_terms(module.id))
    return render_template("learning/guide.html", page=page, module=module)


@bp.get("/modules/<slug>/glossary")
@requires_module_access(glossary_gate)
def glossary(module: Module, slug: str) -> ResponseReturnValue:
    page = glossary_page(module_terms(module.id), request.args.get("q", "", type=str))
    return render_template("learning/glossary.html", page=page, module=module,
                           reading_guides=guide_links(module.id))


@bp.get("/modules/<slug>/bibliography")
@requires_module_access(bibliography_gate)
def bibliography(module: Module, slug: str) -> ResponseReturnValue:
    seminal_only = request.args.get("seminal") == "1"
    listing = bib.module_bibliography(module)
    return render_template("learning/bibliography.html", module=module, listing=listing,
                           citations=listing.shown(seminal_only), seminal_only=seminal_only,
                           reading_guides=guide_links(module.id))


def _download(text: str, fmt: str, name: str) -> Response:
    response = Response(text, content_type=bib.EXPORT_FORMATS[fmt])
    response.headers.set("Content-Disposition", "attachment", filename=f"{name}.{fmt}")
    return response


@bp.get(f"/modules/<slug>/bibliography.<{FORMATS}:fmt>")
@requires_module_access(bibliography_gate)
def bibliography_export(module: Module, slug: str, fmt: str) -> ResponseReturnValue:
    return _download(bib.export(bib.module_references(module.id), fmt), fmt, module.slug)


@bp.get(f"/modules/<slug>/lectures/<lecture_slug>/references.<{FORMATS}:fmt>")
@requires_module_access(lecture_gate)
def lecture_references_export(place: LecturePlace, slug: str, lecture_slug: str, fmt: str) -> ResponseReturnValue:
    references = bib.lecture_references(place.lecture.id)
    return _download(bib.export(references, fmt), fmt, f"{place.module.slug}-{place.lecture.slug}")
