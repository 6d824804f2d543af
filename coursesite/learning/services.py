"""Finding a lecture and its neighbours for the player page."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coursesite.catalog.models import Lecture, LectureSpeaker, Module
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
