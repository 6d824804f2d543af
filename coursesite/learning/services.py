"""Finding a lecture and its neighbours for the player page, and the lectures or speaker a stored file belongs to."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import contains_eager, defer

from coursesite.catalog.models import Lecture, Module, Speaker
from coursesite.extensions import db


@dataclass(frozen=True)
class LecturePlace:
    """A lecture and its module; the neighbours (and the module's lecture list) load when first asked for."""

    module: Module
    lecture: Lecture

    def _neighbour(self, step: int) -> Lecture | None:
        lectures = self.module.lectures
        index = lectures.index(self.lecture) + step
        return lectures[index] if 0 <= index < len(lectures) else None

    @property
    def previous(self) -> Lecture | None:
        return self._neighbour(-1)

    @property
    def next(self) -> Lecture | None:
        return self._neighbour(1)


@cache
def _lecture_with_module() -> Select[Lecture]:
    """:func:`find_lecture`'s statement (``:module_slug``, ``:lecture_slug``), built once (each lecture page)."""
    return (select(Lecture).join(Lecture.module)
            .where(Module.slug == bindparam("module_slug"), Module.published.is_(True),
                   Lecture.slug == bindparam("lecture_slug"))
            .options(contains_eager(Lecture.module), defer(Lecture.cues)))


def find_lecture(module_slug: str, lecture_slug: str) -> LecturePlace | None:
    """The lecture of a published module, with its module, in one query.

    The lecture's transcript (``cues``, the largest column), its speakers and the module's other lectures are left
    out: the lecture page renders them once per content revision (coursesite/learning/lecture_page.py), and reading
    ``lecture.cues``, ``lecture.speakers`` or ``module.lectures`` (``place.previous``/``next``) loads them.
    """
    lecture = db.session.scalar(_lecture_with_module(), {"module_slug": module_slug, "lecture_slug": lecture_slug})
    return LecturePlace(module=lecture.module, lecture=lecture) if lecture is not None else None


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
