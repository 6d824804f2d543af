"""Write checked module data into the database: idempotent (upserts by slug/key) and all-or-nothing."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import select

from coursesite.catalog.content.reader import MEDIA_TYPES, LectureData, ModuleData, SpeakerData
from coursesite.catalog.content.sections import ContentSection
from coursesite.catalog.models import (
    Approval,
    GlossaryTerm,
    Lecture,
    LectureReference,
    LectureSpeaker,
    Module,
    Reference,
    Resource,
    Speaker,
    StudyGuide,
)
from coursesite.extensions import db
from coursesite.models_base import Model
from coursesite.storage import MediaStore

Row = TypeVar("Row", bound=Model)
Item = TypeVar("Item")


def import_module(data: ModuleData, sections: list[ContentSection], store: MediaStore) -> Module:
    """Upsert ``data`` in the current session; the caller commits or rolls back."""
    speakers = {slug: _upsert_speaker(speaker, store) for slug, speaker in data.speakers.items()}
    module = db.session.scalar(select(Module).where(Module.slug == data.slug)) or Module(slug=data.slug)
    for name, value in data.fields.items():
        setattr(module, name, value)
    db.session.add(module)
    _sync(module.lectures, data.lectures, "slug", lambda row, item: _fill_lecture(row, item, speakers, store),
          Lecture)
    _sync(module.guides, data.guides, "slug", _fill_from_dict, StudyGuide)
    _sync(module.glossary, _numbered(data.glossary), "slug", _fill_from_dict, GlossaryTerm)
    _sync(module.references, _numbered(data.references), "key", _fill_from_dict, Reference)
    _sync(module.approvals, _numbered(data.approvals), "body", _fill_from_dict, Approval)
    _link_references(module, data.lectures)
    db.session.flush()
    for section in sections:
        section.apply(module, data.sections[section.name])
    return module


def _numbered(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [dict(item, position=position) for position, item in enumerate(items, start=1)]


def _sync(rows: list[Row], items: Sequence[Item], key: str, fill: Callable[[Row, Item], None],
          model: type[Row]) -> None:
    """Make the collection ``rows`` match ``items``: update by ``key``, add the new, drop the missing."""
    existing = {getattr(row, key): row for row in rows}
    wanted = []
    for item in items:
        identity = item[key] if isinstance(item, dict) else getattr(item, key)
        row = existing.get(identity) or model()
        fill(row, item)
        wanted.append(row)
    rows[:] = wanted


def _fill_from_dict(row: Model, item: dict[str, Any]) -> None:
    for name, value in item.items():
        setattr(row, name, value)


def _fill_lecture(row: Lecture, item: LectureData, speakers: dict[str, Speaker], store: MediaStore) -> None:
    row.slug, row.position, row.title, row.kind = item.slug, item.position, item.title, item.kind
    row.summary, row.notes, row.duration_seconds, row.preview = item.summary, item.notes, item.duration, item.preview
    row.media_path = store.store(item.media, "lectures")
    row.media_type = MEDIA_TYPES[item.media.suffix.lower()]
    row.captions_path = store.store(item.captions, "lectures")
    row.slides_path = store.store(item.slides, "lectures") if item.slides else None
    row.cues = item.cues
    links = {link.speaker.slug: link for link in row.speaker_links}
    row.speaker_links = [
        _link(links.get(slug), speakers[slug], position) for position, slug in enumerate(item.speakers, start=1)
    ]


def _link_references(module: Module, lectures: list[LectureData]) -> None:
    """Each lecture's ``references``, as links to the module's references (synced just before, so every key the
    reader accepted is there)."""
    by_key = {reference.key: reference for reference in module.references}
    for row, item in zip(module.lectures, lectures, strict=True):
        links = {link.reference.key: link for link in row.reference_links}
        row.reference_links = [
            _reference_link(links.get(key), by_key[key], position)
            for position, key in enumerate(item.references, start=1)
        ]


def _reference_link(link: LectureReference | None, reference: Reference, position: int) -> LectureReference:
    link = link or LectureReference(reference=reference)
    link.position = position
    return link


def _link(link: LectureSpeaker | None, speaker: Speaker, position: int) -> LectureSpeaker:
    link = link or LectureSpeaker(speaker=speaker)
    link.position = position
    return link


def _upsert_speaker(data: SpeakerData, store: MediaStore) -> Speaker:
    speaker = db.session.scalar(select(Speaker).where(Speaker.slug == data.slug)) or Speaker(slug=data.slug)
    speaker.name, speaker.credentials, speaker.title, speaker.bio = data.name, data.credentials, data.title, data.bio
    speaker.photo_path = store.store(data.photo, "speakers") if data.photo else None
    _sync(speaker.resources, _numbered(data.resources), "position", _fill_from_dict, Resource)
    db.session.add(speaker)
    return speaker
