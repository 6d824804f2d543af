"""The content of the lecture page, rendered once per lecture and content revision.

Most of a lecture page is content: its heading and speakers, downloads, summary, the transcript (some 700 cues for a
45-minute lecture, with glossary links), references, the lecture's own notes, the pager and the list of the
module's lectures. Rendering that on every view would cost far more than the rest of the page together, so it is
rendered once and cached like the public pages (coursesite/caching.py: an import bumps the revision, so nothing
stale is served). The only thing about the viewer it depends on is whether glossary terms are linked (with access to
the module; a visitor of a free preview gets plain text), which is part of the cache key. What is the viewer's own
— the player's start (``?t=``), attendance, notes, the transcript filter — is rendered on each view around it.

``?t=`` marks the cue being spoken by a string edit of the cached cue list; a ``?find=`` filter renders the
matching cues each time (rare, and small).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import render_template
from markupsafe import Markup

from coursesite.caching import cached
from coursesite.learning.reading import glossary_linked, lecture_reading
from coursesite.learning.services import LecturePlace
from coursesite.learning.transcript import Transcript, current_index, transcript_for
from coursesite.permissions import Viewer

# The cached parts, each a template rendered with ``place``, ``lecture``, ``transcript``, ``glossary_cues`` and
# ``lecture_citations``; lecture.html places them.
PARTS = {
    "header": "learning/_lecture_header.html",
    "downloads": "learning/_lecture_downloads.html",
    "summary": "learning/_lecture_summary.html",
    "after_transcript": "learning/_lecture_after_transcript.html",
    "nav": "learning/_lecture_nav.html",
}


@dataclass(frozen=True)
class TranscriptOnPage:
    html: Markup      # the <li> of each cue shown, the one being spoken marked
    total: int        # cues in the lecture
    shown: int        # cues shown (all unless filtered)
    find: str         # the filter as given, trimmed ("" for none)

    @property
    def filtered(self) -> bool:
        return bool(self.find)


@dataclass(frozen=True)
class LectureContent:
    parts: dict[str, Markup]
    transcript: TranscriptOnPage


@dataclass(frozen=True)
class _Cached:
    parts: dict[str, str]
    cues: str
    starts: list[float]


def mark_current(html: str, index: int) -> str:
    """``html`` (a cue list) with cue ``index`` marked as the one being spoken (class and ``aria-current``)."""
    if index < 0:
        return html
    return re.sub(rf'<li id="cue-{index}" class="cue"([^>]*)><a class="cue-time"',
                  rf'<li id="cue-{index}" class="cue cue-current"\1><a class="cue-time" aria-current="true"',
                  html, count=1)


def _render_cues(transcript: Transcript, glossary_cues: dict[int, Markup]) -> str:
    return render_template("learning/_transcript_cues.html", transcript=transcript, glossary_cues=glossary_cues)


def _render_content(place: LecturePlace, viewer: Viewer | None, linked: bool) -> _Cached:
    lecture = place.lecture
    full = transcript_for(lecture.cues)
    reading = lecture_reading(lecture, place.module.slug, full.cues if linked else [], viewer)
    context = {"place": place, "lecture": lecture, "lecture_citations": reading.lecture_citations}
    return _Cached(
        parts={name: render_template(template, **context) for name, template in PARTS.items()},
        cues=_render_cues(full, reading.glossary_cues),
        starts=[cue.start for cue in full.cues],
    )


def lecture_content(place: LecturePlace, viewer: Viewer | None, *, find: str = "",
                    at: float | None = None) -> LectureContent:
    """The page's content parts and transcript for ``viewer``, with the cue at ``at`` marked, filtered by ``find``."""
    lecture = place.lecture
    linked = glossary_linked(lecture, viewer)
    content = cached(f"lecture-page:{lecture.id}:{int(linked)}", lambda: _render_content(place, viewer, linked))
    parts = {name: Markup(html) for name, html in content.parts.items()}  # noqa: S704 - our templates' output
    if find.strip():
        filtered = transcript_for(lecture.cues, find=find, at=at)
        glossary = (lecture_reading(lecture, place.module.slug, filtered.cues, viewer).glossary_cues
                    if linked and filtered.cues else {})
        transcript = TranscriptOnPage(html=Markup(_render_cues(filtered, glossary)),  # noqa: S704 - our template's
                                      total=filtered.total, shown=len(filtered.cues), find=filtered.find)
    else:
        html = mark_current(content.cues, current_index(content.starts, at))
        transcript = TranscriptOnPage(html=Markup(html), total=len(content.starts),  # noqa: S704 - as above
                                      shown=len(content.starts), find="")
    return LectureContent(parts=parts, transcript=transcript)
