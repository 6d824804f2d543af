"""The lecture page's transcript: where the media starts (``?t=``), which cue is current, and the words filter
(``?find=``), so that the transcript works the same with and without JavaScript.

Without JavaScript each cue's time is a link to ``?t=<seconds>``; the page then gives the player a media fragment
(``src="...#t=<seconds>"``, which browsers honour before any script runs), marks the cue at that second as current,
and the filter box is a GET form (``?find=words``) answered here. With JavaScript (static/js/lecture.js) the same
links seek without a reload and the filter narrows the list as the learner types; both use the same matching rule
(every word, in any order, case-insensitive, in the cue's text or speaker).
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MAX_FIND_LENGTH = 100
_CLOCK = re.compile(r"^(?:(\d{1,3}):)?(\d{1,4}):(\d{1,2}(?:\.\d+)?)$")


def parse_seconds(value: str | None) -> float | None:
    """Seconds from ``75``, ``75.5``, ``1:15`` or ``1:01:15``; None for anything else (empty, negative, NaN,
    infinite, words, a minute or second of 60 or more in clock form)."""
    text = (value or "").strip()
    if not text or len(text) > 20:
        return None
    match = _CLOCK.match(text)
    if match:
        hours, minutes, secs = int(match[1] or 0), int(match[2]), float(match[3])
        if secs >= 60 or (match[1] is not None and minutes >= 60):
            return None
        return hours * 3600 + minutes * 60 + secs
    try:
        seconds = float(text)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def parse_position(value: str | None, duration: float) -> float | None:
    """Where the page starts the media for ``?t=``: :func:`parse_seconds`, clamped to ``[0, duration]``; None (the
    beginning) for anything unreadable, so a bad link still opens the lecture."""
    seconds = parse_seconds(value)
    if seconds is None:
        return None
    return round(min(seconds, max(float(duration), 0.0)), 1)


def format_seconds(seconds: float) -> str:
    """A position for a URL: seconds to a tenth, without a trailing ``.0`` (``12``, ``12.5``)."""
    return f"{seconds:.1f}".removesuffix(".0")


def find_words(find: str) -> list[str]:
    """The words of a filter, case-folded (at most ``MAX_FIND_LENGTH`` characters count)."""
    return find[:MAX_FIND_LENGTH].casefold().split()


@dataclass(frozen=True)
class ShownCue:
    index: int            # place in the whole transcript (the element id ``cue-<index>``), kept when filtered
    start: float
    t: str                # the ``?t=`` of its link: the start in seconds, to a tenth (``12``, ``12.5``)
    speaker: str | None
    text: str
    current: bool         # the cue at the page's start position


@dataclass(frozen=True)
class Transcript:
    cues: list[ShownCue]  # the cues shown: all of them, or those matching ``find``
    total: int            # how many cues the lecture has
    find: str             # the filter as given (trimmed, cut to MAX_FIND_LENGTH)

    @property
    def filtered(self) -> bool:
        return bool(self.find)


def current_index(starts: Sequence[float], at: float | None) -> int:
    """The index of the cue being spoken at ``at`` (the last one starting at or before it), -1 for none."""
    if at is None:
        return -1
    index = -1
    for position, start in enumerate(starts):
        if start <= at + 0.05:
            index = position
        else:
            break
    return index


def transcript_for(cues: Sequence[dict[str, Any]], *, find: str = "", at: float | None = None) -> Transcript:
    """The transcript to show for ``cues`` (a lecture's stored cues), filtered by ``find`` and marked at ``at``."""
    find = find.strip()[:MAX_FIND_LENGTH]
    words = find_words(find)
    current = current_index([float(cue["start"]) for cue in cues], at)
    shown = []
    for index, cue in enumerate(cues):
        speaker = cue.get("speaker") or None
        text = str(cue.get("text", ""))
        if words:
            haystack = f"{speaker or ''} {text}".casefold()
            if not all(word in haystack for word in words):
                continue
        start = float(cue["start"])
        shown.append(ShownCue(index=index, start=start, t=format_seconds(start), speaker=speaker, text=text,
                              current=index == current))
    return Transcript(cues=shown, total=len(cues), find=find)
