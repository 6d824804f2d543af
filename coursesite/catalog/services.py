"""Catalogue queries for the public pages."""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from math import ceil
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, selectinload

from coursesite.catalog.models import LECTURE_KINDS, Lecture, LectureSpeaker, Module, Speaker
from coursesite.extensions import db

CE_HOUR_BANDS = {"short": (0, 6.0), "medium": (6.0, 12.0), "long": (12.0, 1000.0)}
# Bands include their upper bound: a 6-hour module is "up to 6 hours".
CE_HOUR_LABELS = {"short": "Up to 6 hours", "medium": "More than 6, up to 12 hours", "long": "More than 12 hours"}


CATALOG_PAGE_SIZE = 24
MAX_PAGE = 10_000


@dataclass(frozen=True)
class CatalogFilters:
    hours: str = ""
    kind: str = ""
    speaker: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> CatalogFilters:
        """Unknown filter values are ignored rather than rejected: a stale link still shows the catalogue."""
        hours = args.get("hours", "")
        kind = args.get("format", "")
        speaker = args.get("speaker", "")[:80]
        raw_page = args.get("page", "")
        page = int(raw_page) if raw_page.isascii() and raw_page.isdigit() and len(raw_page) <= 5 \
            and 1 <= int(raw_page) <= MAX_PAGE else 1
        return cls(hours if hours in CE_HOUR_BANDS else "", kind if kind in LECTURE_KINDS else "", speaker, page)

    def query_args(self, **changes: str | int) -> dict[str, str | int]:
        """The filters as URL parameters (without the empty ones and page 1), for links that keep them."""
        values = {"hours": self.hours, "format": self.kind, "speaker": self.speaker, "page": self.page, **changes}
        return {key: value for key, value in values.items() if value and not (key == "page" and value == 1)}


@dataclass(frozen=True)
class CatalogPage:
    modules: list[Module]
    total: int
    page: int
    pages: int


def catalog_page(filters: CatalogFilters, page_size: int = CATALOG_PAGE_SIZE) -> CatalogPage | None:
    """One page of the modules the filters select, title order; None for a page past the last."""
    total = db.session.scalar(_published(filters).with_only_columns(func.count(Module.id)).order_by(None)) or 0
    pages = max(ceil(total / page_size), 1)
    if filters.page > pages:
        return None
    modules = list(db.session.scalars(_published(filters).limit(page_size).offset((filters.page - 1) * page_size)))
    return CatalogPage(modules, total, filters.page, pages)


def published_modules(filters: CatalogFilters) -> list[Module]:
    return list(db.session.scalars(_published(filters)))


def _published(filters: CatalogFilters) -> Select[Module]:
    query = (
        select(Module)
        .where(Module.published.is_(True))
        .options(selectinload(Module.lectures).selectinload(Lecture.speaker_links).selectinload(LectureSpeaker.speaker))
        .order_by(Module.title, Module.id)
    )
    if filters.hours:
        low, high = CE_HOUR_BANDS[filters.hours]
        query = query.where(Module.ce_hours > low, Module.ce_hours <= high)
    if filters.kind:
        query = query.where(Module.lectures.any(Lecture.kind == filters.kind))
    if filters.speaker:
        query = query.where(Module.lectures.any(
            Lecture.speaker_links.any(LectureSpeaker.speaker.has(Speaker.slug == filters.speaker))
        ))
    return query


def speakers_with_published_lectures() -> list[Speaker]:
    query = (
        select(Speaker)
        .where(Speaker.lecture_links.any(LectureSpeaker.lecture.has(Lecture.module.has(Module.published.is_(True)))))
        .order_by(Speaker.name)
    )
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class ModuleOnPage:
    """A module page's module as plain data, cached with the page, for the parts that depend on who is looking (see
    ``ModuleViewerPart`` in catalog/views.py)."""

    id: int
    slug: str
    first_lecture_slug: str | None
    parts: dict[str, Any]  # the values the module page parts gave (content only)


def published_module(slug: str) -> Module | None:
    query = (
        select(Module)
        .where(Module.slug == slug, Module.published.is_(True))
        .options(
            selectinload(Module.lectures).selectinload(Lecture.speaker_links).selectinload(LectureSpeaker.speaker),
            selectinload(Module.guides),
            selectinload(Module.glossary),
            selectinload(Module.references),
            joinedload(Module.approvals),  # a row or three: joined, so the page costs no extra query
        )
    )
    return db.session.scalar(query)


def published_module_only(slug: str) -> Module | None:
    """A published module with nothing else loaded: for pages about one learner's work on it (the test), which need
    its id, title and objectives."""
    return db.session.scalar(select(Module).where(Module.slug == slug, Module.published.is_(True)))


def all_modules() -> list[Module]:
    """Every module, published or not, by title: for staff choosing one."""
    return list(db.session.scalars(select(Module).order_by(Module.title)))


def modules_with_lectures(module_ids: Collection[int]) -> dict[int, Module]:
    """The modules with these ids (published or not: a learner keeps what they bought) by id, their lectures loaded
    in order; two queries however many."""
    if not module_ids:
        return {}
    modules = db.session.scalars(
        select(Module).where(Module.id.in_(module_ids)).options(selectinload(Module.lectures))
    )
    return {module.id: module for module in modules}


def speaker_page(slug: str) -> tuple[Speaker, list[Lecture]] | None:
    speaker = db.session.scalar(
        select(Speaker).where(Speaker.slug == slug).options(selectinload(Speaker.resources))
    )
    if speaker is None:
        return None
    lectures = list(db.session.scalars(
        select(Lecture)
        .join(Lecture.speaker_links)
        .join(Lecture.module)
        .where(LectureSpeaker.speaker_id == speaker.id, Module.published.is_(True))
        .options(selectinload(Lecture.module))
        .order_by(Module.title, Lecture.position)
    ))
    # A speaker is public through published lectures only (like the catalogue's speaker filter).
    return (speaker, lectures) if lectures else None
