"""What a learner reads in a module besides the lectures: the study guides (Markdown with a table of contents and
glossary links), and the glossary terms linked from a lecture's transcript.

Access: these pages are for people with access to the module (``billing.access.has_access``); anyone else gets the
"locked" page (403) that says what the module holds and where to buy it, as locked lectures do. Free preview
lectures stay open to everyone, and so do the references listed on them; their transcripts link glossary terms
only for people who may open the glossary.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import url_for
from markupsafe import Markup
from sqlalchemy import select

from coursesite.billing.access import has_access
from coursesite.catalog.models import Lecture, Module, StudyGuide
from coursesite.extensions import db
from coursesite.learning.bibliography import Citation, citations, lecture_references
from coursesite.learning.glossary import GlossaryLinker, Term, module_terms
from coursesite.markdown import Heading, headings, render_markdown
from coursesite.permissions import Viewer


@dataclass(frozen=True)
class GuideLink:
    slug: str
    title: str


@dataclass(frozen=True)
class GuidePage:
    module: Module
    guide: StudyGuide
    body: Markup  # rendered, headings anchored, glossary terms linked
    contents: list[Heading]  # the table of contents
    guides: list[GuideLink]  # every guide of the module, in order, for the navigation


def module_guides(module_id: int) -> list[StudyGuide]:
    return list(db.session.scalars(
        select(StudyGuide).where(StudyGuide.module_id == module_id).order_by(StudyGuide.position, StudyGuide.slug)))


def guide_links(module_id: int) -> list[GuideLink]:
    """The module's guides for the reading navigation (one query)."""
    rows = db.session.execute(
        select(StudyGuide.slug, StudyGuide.title).where(StudyGuide.module_id == module_id)
        .order_by(StudyGuide.position, StudyGuide.slug)).all()
    return [GuideLink(slug, title) for slug, title in rows]


def guide_page(module: Module, guide: StudyGuide, guides: Sequence[StudyGuide], terms: Sequence[Term]) -> GuidePage:
    body = render_markdown(guide.body, anchors=True)
    linker = GlossaryLinker(terms, url_for("reading.glossary", slug=module.slug), prefix="guide-tip-")
    return GuidePage(
        module=module, guide=guide, body=linker.link_html(body), contents=headings(body),
        guides=[GuideLink(g.slug, g.title) for g in guides],
    )


def find_guide(module: Module, guide_slug: str) -> tuple[StudyGuide, list[StudyGuide]] | None:
    """The guide ``guide_slug`` of ``module`` and all the module's guides (one query)."""
    guides = module_guides(module.id)
    for guide in guides:
        if guide.slug == guide_slug:
            return guide, guides
    return None


@dataclass(frozen=True)
class LectureReading:
    """What the reading part adds to a lecture page: its references, and its transcript's cue texts with glossary
    terms linked (by cue index; empty when the viewer may not open the glossary)."""

    lecture_citations: list[Citation]
    glossary_cues: dict[int, Markup]


def glossary_linked(lecture: Lecture, viewer: Viewer | None) -> bool:
    """Are glossary terms linked in the lecture's transcript for ``viewer``: with access to the module (whoever may
    watch a lecture that is not a free preview has it; a visitor of a preview may not open the glossary)."""
    return not lecture.preview or has_access(viewer, lecture.module_id)


def lecture_reading(lecture: Lecture, module_slug: str, shown_cues: Sequence[Any], viewer: Viewer | None
                    ) -> LectureReading:
    """The references of ``lecture`` (one query) and, for a viewer with access to its module, the ``shown_cues``
    (objects with ``index`` and ``text``, in order) with each glossary term linked at its first occurrence among
    them (one more query; a viewer of a free preview without access gets plain text)."""
    references = citations(lecture_references(lecture.id))
    if not shown_cues or not glossary_linked(lecture, viewer):
        return LectureReading(references, {})
    terms = module_terms(lecture.module_id)
    linker = GlossaryLinker(terms, url_for("reading.glossary", slug=module_slug), prefix="cue-tip-")
    return LectureReading(references, {cue.index: linker.link_text(cue.text) for cue in shown_cues})
