"""A learner's private notes: time-stamped, on a lecture, seen and changed only by their author.

Every read here is filtered by the author's id, and a note asked for by anyone else is None (the views answer 404),
so no staff page, organisation dashboard or other person's export can reach one. The author's data download
includes them and deleting the account deletes them (``NOTES_DATA``, listed in ``register_account_data``).

Limits: a note holds up to ``MAX_NOTE_LENGTH`` characters (after NFC, line breaks kept), a learner keeps up to
``MAX_NOTES_PER_LECTURE`` notes on one lecture and ``MAX_NOTES_PER_LEARNER`` in all. The time is a second of the
lecture's media, typed as ``12:34``, ``1:02:03`` or seconds (``754``); the player fills it in when JavaScript runs.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, func, select

from coursesite.accounts.models import User
from coursesite.accounts.personal_data import AccountDataPart, iso
from coursesite.catalog.models import Lecture, Module
from coursesite.extensions import db
from coursesite.learning.models import Note
from coursesite.learning.transcript import parse_seconds
from coursesite.templating import format_clock

MAX_NOTE_LENGTH = 5000
MAX_NOTES_PER_LECTURE = 300
MAX_NOTES_PER_LEARNER = 5000
# What a form may send before normalising: NFC composes at most four code points into one (Greek with breathing,
# accent and iota subscript), so a longer text cannot be a note of MAX_NOTE_LENGTH characters.
RAW_NOTE_LIMIT = 4 * MAX_NOTE_LENGTH
TIME_HELP = "Give the time as minutes:seconds, for example 12:34."


class NoteError(ValueError):
    """A note that cannot be stored as given; ``str(error)`` tells the learner why."""


# Rules for what a learner types ---------------------------------------------------------------------------------

def note_text(raw: str) -> str:
    """The text to store: NFC, line breaks as ``\\n``, no control or invisible characters, not empty, not too long."""
    if len(raw) > RAW_NOTE_LIMIT:  # refused before the per-character work below, which a 16 MB form would make slow
        raise NoteError(f"A note holds at most {MAX_NOTE_LENGTH:,} characters; this one has {len(raw):,}.")
    text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not text:
        raise NoteError("Write something in the note.")
    if any(unicodedata.category(char) in ("Cc", "Cs", "Co") and char not in "\n\t" for char in text):
        raise NoteError("Remove the invisible or control characters from the note.")
    if len(text) > MAX_NOTE_LENGTH:
        raise NoteError(f"A note holds at most {MAX_NOTE_LENGTH:,} characters; this one has {len(text):,}.")
    return text


def note_time(raw: str, duration: float) -> float:
    """The media second of a note: empty is the start; past the end of the lecture or unreadable is an error."""
    if not raw.strip():
        return 0.0
    seconds = parse_seconds(raw)
    if seconds is None:
        raise NoteError(TIME_HELP)
    if seconds > duration + 0.5:
        raise NoteError(f"The lecture is {format_clock(duration)} long: give a time within it. {TIME_HELP}")
    return round(min(seconds, duration), 1)


# Reading ----------------------------------------------------------------------------------------------------------

class NoteLine(NamedTuple):
    """A note as the lecture page lists it (plain columns: the page reads them on every view)."""

    id: int
    position: float
    text: str

    @property
    def seconds(self) -> str:
        """The position for a ``?t=`` link (as ``Note.seconds``)."""
        return f"{self.position:.1f}".removesuffix(".0")


def notes_on_lecture(user_id: int, lecture_id: int) -> list[NoteLine]:
    """The learner's notes on one lecture, in media order."""
    rows = db.session.execute(
        select(Note.id, Note.position, Note.text).where(Note.user_id == user_id, Note.lecture_id == lecture_id)
        .order_by(Note.position, Note.id)
    )
    return [NoteLine(*row) for row in rows]


def own_note(user_id: int, note_id: int) -> Note | None:
    """The note ``note_id`` if ``user_id`` wrote it; None for anyone else's, or for none (both are a 404)."""
    return db.session.scalar(select(Note).where(Note.id == note_id, Note.user_id == user_id))


@dataclass(frozen=True)
class LectureNotes:
    lecture_slug: str
    lecture_title: str
    notes: list[Note]


@dataclass(frozen=True)
class ModuleNotes:
    module_slug: str
    module_title: str
    lectures: list[LectureNotes]   # lectures with at least one note, in the module's order

    @property
    def count(self) -> int:
        return sum(len(group.notes) for group in self.lectures)


def module_notes(user_id: int, module_slug: str) -> ModuleNotes | None:
    """All the learner's notes on a published module, by lecture (two queries); None when there is no such module."""
    module = db.session.execute(
        select(Module.id, Module.slug, Module.title).where(Module.slug == module_slug, Module.published.is_(True))
    ).one_or_none()
    if module is None:
        return None
    rows = db.session.execute(
        select(Note, Lecture.slug, Lecture.title).join(Lecture, Note.lecture_id == Lecture.id)
        .where(Note.user_id == user_id, Lecture.module_id == module.id)
        .order_by(Lecture.position, Note.position, Note.id)
    ).all()
    groups: list[LectureNotes] = []
    for note, slug, title in rows:
        if not groups or groups[-1].lecture_slug != slug:
            groups.append(LectureNotes(lecture_slug=slug, lecture_title=title, notes=[]))
        groups[-1].notes.append(note)
    return ModuleNotes(module_slug=module.slug, module_title=module.title, lectures=groups)


# Writing ----------------------------------------------------------------------------------------------------------

def _count(*conditions: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(Note).where(*conditions)) or 0


def add_note(user_id: int, lecture: Lecture, time: str, text: str) -> Note:
    """Store a new note; ``NoteError`` (nothing stored) for bad input or when a limit is reached."""
    position = note_time(time, lecture.duration_seconds)
    body = note_text(text)
    if _count(Note.user_id == user_id, Note.lecture_id == lecture.id) >= MAX_NOTES_PER_LECTURE:
        raise NoteError(f"You have {MAX_NOTES_PER_LECTURE} notes on this lecture, the most it can hold: "
                        "delete or combine some first.")
    if _count(Note.user_id == user_id) >= MAX_NOTES_PER_LEARNER:
        raise NoteError(f"You have {MAX_NOTES_PER_LEARNER:,} notes, the most an account can hold: "
                        "delete some first.")
    note = Note(user_id=user_id, lecture_id=lecture.id, position=position, text=body)
    db.session.add(note)
    db.session.commit()
    return note


def update_note(note: Note, duration: float, time: str, text: str) -> Note:
    """Change a note's time and text; ``NoteError`` (note unchanged) for bad input."""
    position, body = note_time(time, duration), note_text(text)
    note.position, note.text = position, body
    db.session.commit()
    return note


def delete_note(note: Note) -> None:
    db.session.delete(note)
    db.session.commit()


def lecture_of(note: Note) -> Lecture:
    """The lecture a note is on (the learner's own note: the caller checked with ``own_note``)."""
    lecture = db.session.get(Lecture, note.lecture_id)
    assert lecture is not None  # noqa: S101 - the foreign key cascades: a note's lecture exists while it does
    return lecture


# The Markdown download --------------------------------------------------------------------------------------------

# Characters that could start Markdown or HTML anywhere in a line, and the block markers that count only at the start
# of one: a backslash before each makes any Markdown reader show the text exactly as typed (CommonMark lets any ASCII
# punctuation be escaped), while the plain file stays easy to read.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~])")
_BLOCK_START = re.compile(r"^(\s*)([#=+-]|\d+(?=[.)]))")


def markdown_escape(text: str) -> str:
    """``text`` (one line or several) escaped so that Markdown shows it literally."""
    return "\n".join(_BLOCK_START.sub(_escape_block_start, _INLINE_SPECIAL.sub(r"\\\1", line))
                     for line in text.split("\n"))


def _escape_block_start(match: re.Match[str]) -> str:
    marker = match[2]
    if marker[0].isdigit():  # "1. " starts a numbered list: escape the dot or parenthesis after the number
        return f"{match[1]}{marker}\\"
    return f"{match[1]}\\{marker}"


def notes_markdown(notes: ModuleNotes, lecture_url: Callable[[str, str], str], downloaded_at: datetime) -> str:
    """The module's notes as a Markdown file: a heading per lecture, each note a list item linking to its second.

    ``lecture_url(lecture_slug, seconds)`` gives the absolute link to the lecture at that second.
    """
    lines = [f"# Notes: {markdown_escape(notes.module_title)}", "",
             f"My notes, downloaded {downloaded_at:%Y-%m-%d %H:%M} UTC.", ""]
    if not notes.lectures:
        lines += ["No notes yet.", ""]
    for group in notes.lectures:
        lines += [f"## {markdown_escape(group.lecture_title)}", ""]
        for note in group.notes:
            first, *rest = markdown_escape(note.text).split("\n")
            lines.append(f"- [{format_clock(note.position)}]({lecture_url(group.lecture_slug, note.seconds)}) {first}")
            lines += [f"  {line}" if line else "" for line in rest]
        lines.append("")
    return "\n".join(lines)


# Personal data: the author's download, and account deletion ------------------------------------------------------

def export_notes(user: User) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Note, Module.slug, Lecture.slug).join(Lecture, Note.lecture_id == Lecture.id)
        .join(Module, Lecture.module_id == Module.id)
        .where(Note.user_id == user.id).order_by(Module.slug, Lecture.position, Note.position, Note.id)
    ).all()
    return [
        {"module": module_slug, "lecture": lecture_slug, "seconds": note.position, "text": note.text,
         "created_at": iso(note.created_at), "updated_at": iso(note.updated_at)}
        for note, module_slug, lecture_slug in rows
    ]


def erase_notes(user: User) -> None:
    db.session.execute(delete(Note).where(Note.user_id == user.id))


NOTES_DATA = AccountDataPart("notes", export=export_notes, erase=erase_notes)
