"""A learner's home in a module (``/modules/<slug>/learn``): the lectures in order with their progress, where to
continue, and every page of the module they may open. Progress comes from coursesite/learning/progress.py (the one
home of the completion rule); this module decides only where "Continue where you left off" leads, which "My learning"
and the catalogue's module page (:func:`module_for_learner`, a module viewer part) use too."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, render_template, url_for
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from coursesite.accounts.models import User
from coursesite.billing.access import module_holding
from coursesite.catalog.models import GlossaryTerm, Module, Reference, StudyGuide
from coursesite.catalog.services import ModuleOnPage
from coursesite.extensions import db
from coursesite.learning.progress import (
    LectureCompletion,
    ModuleCompletion,
    completion,
    completion_of_lectures,
    left_at_end,
)


@dataclass(frozen=True)
class ResumePoint:
    """Where "Continue" leads: a lecture, at a second (0: its start)."""

    lecture_slug: str
    title: str
    seconds: int
    started: bool  # has the learner played anything of the module yet
    again: bool = False  # every lecture is complete: this is watching again


def resume_point(progress: ModuleCompletion) -> ResumePoint | None:
    """The lecture last played, at its last position; when it was left at its end, the next lecture not complete
    (or the one after it); with nothing played yet, the first lecture. None for a module without lectures."""
    lectures = progress.lectures
    if not lectures:
        return None
    last = progress.resume
    if last is None:
        return _at(lectures[0], 0, started=False)
    if not left_at_end(last.last_position, last.duration_seconds):
        return _at(last, int(last.last_position), started=True)
    following = lectures[[item.lecture_id for item in lectures].index(last.lecture_id) + 1:]
    after = next((item for item in following if not item.complete), None) or progress.next_lecture
    if after is None:  # every lecture complete: watch again, from the one after the last played, or the first
        return _at(following[0] if following else lectures[0], 0, started=True, again=True)
    return _at(after, 0, started=True)


def _at(lecture: LectureCompletion, seconds: int, *, started: bool, again: bool = False) -> ResumePoint:
    return ResumePoint(lecture.slug, lecture.title, max(0, seconds), started, again)


@dataclass(frozen=True)
class StudyLink:
    """A page of the module the learner may open."""

    label: str
    url: str
    description: str = ""


@dataclass(frozen=True)
class ModuleContents:
    """What a module offers besides its lectures (content only: the module page caches it)."""

    guides: list[tuple[str, str]]  # (slug, title) in order
    has_glossary: bool
    has_bibliography: bool


def _url(endpoint: str, **values: Any) -> str | None:
    """The page's URL, or None while its package is not part of the app."""
    return url_for(endpoint, **values) if endpoint in current_app.view_functions else None


def study_links(slug: str, contents: ModuleContents) -> list[StudyLink]:
    """Every page of the module a learner with access may open, in reading order: guides, glossary, bibliography,
    their notes, their attendance record, the test."""
    wanted = [
        *((f"Study guide: {title}", "reading.guide", {"guide_slug": guide_slug}, "")
          for guide_slug, title in contents.guides),
        *((("Glossary", "reading.glossary", {}, "the module's terms, A–Z"),) if contents.has_glossary else ()),
        *((("Bibliography", "reading.bibliography", {}, "APA 7, with BibTeX and RIS downloads"),)
          if contents.has_bibliography else ()),
        ("Your notes", "notes.module_notes", {}, "every note you took in this module"),
        ("Your attendance", "progress.attendance", {}, "what you watched, lecture by lecture"),
        ("The test", "assessment.test", {}, "the CE test and your attempts"),
    ]
    links = []
    for label, endpoint, values, description in wanted:
        url = _url(endpoint, slug=slug, **values)
        if url is not None:
            links.append(StudyLink(label, url, description))
    return links


def module_contents(module_id: int) -> ModuleContents:
    """The module's guides and whether it has a glossary and a bibliography: two queries."""
    guides = [(slug, title) for slug, title in db.session.execute(
        select(StudyGuide.slug, StudyGuide.title).where(StudyGuide.module_id == module_id)
        .order_by(StudyGuide.position))]
    terms, references = db.session.execute(select(
        select(func.count()).select_from(GlossaryTerm).where(GlossaryTerm.module_id == module_id).scalar_subquery(),
        select(func.count()).select_from(Reference).where(Reference.module_id == module_id).scalar_subquery(),
    )).one()
    return ModuleContents(guides, bool(terms), bool(references))


def contents_of_loaded(module: Module) -> ModuleContents:
    """:class:`ModuleContents` of a module whose guides, glossary and references are loaded (no query)."""
    return ModuleContents([(guide.slug, guide.title) for guide in module.guides], bool(module.glossary),
                          bool(module.references))


def find_module_with_lectures(slug: str) -> Module | None:
    """The published module ``slug`` with its lectures in order (two queries)."""
    return db.session.scalar(select(Module).where(Module.slug == slug, Module.published.is_(True))
                             .options(selectinload(Module.lectures)))


@dataclass(frozen=True)
class ModuleHome:
    module: Module
    progress: ModuleCompletion
    resume: ResumePoint | None  # the template links the lecture page there (``?t=`` past the start)
    links: list[StudyLink]


def learner_home(user_id: int, module: Module) -> ModuleHome:
    """The learner's home in ``module`` (its lectures loaded here when they are not): progress in one query, the
    module's other pages in two."""
    progress = completion(user_id, module)
    return ModuleHome(module=module, progress=progress, resume=resume_point(progress),
                      links=study_links(module.slug, module_contents(module.id)))


# The catalogue's module page -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LectureFact:
    """A lecture as the completion rule needs it (progress.LectureFacts), cached with the module page."""

    id: int
    slug: str
    title: str
    duration_seconds: float


def learning_page_part(module: Module) -> dict[str, Any]:
    """The catalogue's module page part (content only, cached with the page): the module's lectures, its guides and
    whether it has a glossary and a bibliography, for :func:`module_for_learner`. The catalogue loaded them: no
    query."""
    lectures = [LectureFact(lecture.id, lecture.slug, lecture.title, lecture.duration_seconds)
                for lecture in module.lectures]
    return {"learning_lectures": lectures, "learning_contents": contents_of_loaded(module)}


def module_for_learner(module: ModuleOnPage, user: User | None) -> dict[str, Markup]:
    """The catalogue's module viewer part: for a person with access, their progress, "Continue" to the resume point
    and every page of the module they may open. Nothing for visitors; no query for a learner without access beyond
    billing's access check (shared with billing's part); one for a learner with access (the progress)."""
    if user is None:
        return {}
    holding = module_holding(user, module.id)  # billing's part asked the same: no query of its own
    if holding.access_until is None and not holding.opens_every_module:
        return {}
    progress = completion_of_lectures(user.id, module.id, module.parts["learning_lectures"])
    contents: ModuleContents = module.parts["learning_contents"]
    html = render_template("learning/_module_page_study.html", module=module, progress=progress,
                           resume=resume_point(progress), links=study_links(module.slug, contents))
    return {"status": Markup(html)}  # noqa: S704 - rendered by Jinja, which escaped every value
