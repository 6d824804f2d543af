"""Finding a lecture and its neighbours for the player page, and the lectures or speaker a stored file belongs to."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from coursesite.catalog.models import Lecture, LectureSpeaker, Module, Speaker
from coursesite.extensions import db


@dataclass(frozen=True)
class LecturePlace:
    module: Module
    lecture: Lecture
    previous: Lecture | None
    next: Lecture | None


def find_lecture(module_slug: str, lecture_slug: str) -> LecturePlace | None:
    """The lecture of a published module, with the module's lecture list for navigation."""
    module = db.session.scalar(
        select(Module)
        .where(Module.slug == module_slug, Module.published.is_(True))
        .options(selectinload(Module.lectures).selectinload(Lecture.speaker_links)
                 .selectinload(LectureSpeaker.speaker))
    )
    if module is None:
        return None
    lectures = module.lectures
    for index, lecture in enumerate(lectures):
        if lecture.slug == lecture_slug:
            return LecturePlace(
                module=module,
                lecture=lecture,
                previous=lectures[index - 1] if index > 0 else None,
                next=lectures[index + 1] if index + 1 < len(lectures) else None,
            )
    return None


def lectures_for_file(path: str) -> list[Lecture]:
    """Every lecture of a published module that uses the stored file ``path`` (media, captions or slides).

    Files are named by content hash and identical bytes are stored once, so one file may belong to several lectures,
    in one module or in several. Preview lectures come first: they need no access check.
    """
    return list(db.session.scalars(
        select(Lecture).join(Lecture.module).where(
            Module.published.is_(True),
            or_(Lecture.media_path == path, Lecture.captions_path == path, Lecture.slides_path == path),
        ).order_by(Lecture.preview.desc(), Lecture.id)
    ))


def is_speaker_photo(path: str) -> bool:
    """Is ``path`` the stored photo of a speaker?"""
    return db.session.scalar(select(Speaker.id).where(Speaker.photo_path == path).limit(1)) is not None
