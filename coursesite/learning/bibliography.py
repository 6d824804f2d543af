"""A module's bibliography: references in APA 7 style, seminal works, each lecture's references, and the BibTeX and
RIS files a reference manager imports (written by bibtexparser's BibTexWriter and rispy, never by hand).

A reference's ``authors`` holds the APA author list as written in bibliography.yaml ("Wampold, B. E., & Imel, Z.
E.", "Mitchell, S. A., & Aron, L. (Eds.)"); :func:`split_authors` turns it into people for the export formats.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import bibtexparser
import rispy
from bibtexparser.bibdatabase import BibDatabase
from bibtexparser.bwriter import BibTexWriter
from markupsafe import Markup, escape
from rispy.writer import RisWriter
from sqlalchemy import select

from coursesite.catalog.models import Lecture, LectureReference, Module, Reference
from coursesite.extensions import db

EXPORT_FORMATS = {
    "bib": "application/x-bibtex; charset=utf-8",
    "ris": "application/x-research-info-systems; charset=utf-8",
}
SUFFIXES = {"Jr.", "Sr.", "II", "III", "IV"}
_INITIALS_RE = re.compile(r"^(?:\w{1,3}\.(?:[\s-]+|$))+$")
_EDITORS_RE = re.compile(r"\s*\((Eds?\.)\)\s*$")
_EDITION_RE = re.compile(r"^(?P<title>.*\S)\s*\((?P<note>[^()]*\b(?:ed|Ed|Vol|Vols)\.[^()]*)\)$")
_PAGE_RANGE_RE = re.compile(r"(?<=\w)\s*[-\u2010\u2011\u2013\u2014]+\s*(?=\w)")  # hyphens and dashes
BIBTEX_TYPES = {"article": "article", "book": "book", "chapter": "incollection", "report": "techreport"}
RIS_TYPES = {"article": "JOUR", "book": "BOOK", "chapter": "CHAP", "report": "RPRT"}
_LATEX_SPECIALS = str.maketrans({"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": "", "}": ""})


@dataclass(frozen=True)
class Person:
    family: str
    given: str = ""
    suffix: str = ""

    @property
    def bibtex(self) -> str:
        """BibTeX's "von Last, Jr, First"; a name without initials (an organisation) is braced, kept whole."""
        if not self.given:
            return "{" + self.family + "}"
        return ", ".join(part for part in (self.family, self.suffix, self.given) if part)

    @property
    def ris(self) -> str:
        return ", ".join(part for part in (self.family, self.given, self.suffix) if part)


@dataclass(frozen=True)
class Authors:
    people: tuple[Person, ...]
    editors: bool  # "(Ed.)"/"(Eds.)": an edited book, whose names are its editors


def split_authors(authors: str) -> Authors:
    """The people of an APA author list: "Hook, J. N., Worthington, E. L., Jr., & Utsey, S. O." gives three."""
    text = authors.strip()
    editors = bool(_EDITORS_RE.search(text))
    text = _EDITORS_RE.sub("", text)
    tokens = [token.strip() for token in re.split(r",|\s&\s", text.replace(", &", ",")) if token.strip()]
    tokens = [token.removeprefix("& ").strip() for token in tokens]
    people: list[Person] = []
    index = 0
    while index < len(tokens):
        family, given, suffix = tokens[index], "", ""
        index += 1
        if index < len(tokens) and tokens[index] not in SUFFIXES and _INITIALS_RE.match(tokens[index]):
            given = tokens[index]
            index += 1
        if index < len(tokens) and tokens[index] in SUFFIXES:
            suffix = tokens[index]
            index += 1
        people.append(Person(family, given, suffix))
    return Authors(tuple(people), editors)


# APA 7 ---------------------------------------------------------------------------------------------------------------

def _sentence_end(text: str) -> str:
    """``text`` closed by a full stop unless it already ends with one, a question or an exclamation mark."""
    return text if text.endswith((".", "?", "!")) else text + "."


def _pages(pages: str, separator: str = "–") -> str:
    return _PAGE_RANGE_RE.sub(separator, pages.strip())


def _italic_title(title: str) -> Markup:
    """A title set in italics, with a trailing "(2nd ed.)"-style note left upright as APA wants."""
    match = _EDITION_RE.match(title)
    if match:
        return Markup("<em>{}</em> ({})").format(match["title"], match["note"])
    return Markup("<em>{}</em>").format(title)


def _closing(html: Markup, plain_end: str) -> Markup:
    """``html`` followed by a full stop unless its text (``plain_end``) already ends a sentence."""
    return html if plain_end.endswith((".", "?", "!")) else html + Markup(".")


def apa_citation(reference: Reference) -> Markup:
    """The reference list entry in APA 7 style, as safe HTML (italics for what APA italicises, the DOI as an
    https://doi.org link, else the URL)."""
    parts: list[Markup] = [
        escape(_sentence_end(reference.authors.strip())),
        Markup(" ({}).").format(reference.year),
    ]
    kind = reference.kind
    if kind == "article":
        parts.append(Markup(" ") + escape(_sentence_end(reference.title)))
        source = Markup("<em>{}</em>").format(reference.container) if reference.container else Markup("")
        if reference.volume:
            source += Markup(", <em>{}</em>").format(reference.volume)
            if reference.issue:
                source += Markup("({})").format(reference.issue)
        elif reference.issue:
            source += Markup(", ({})").format(reference.issue)
        if reference.pages:
            source += Markup(", {}").format(_pages(reference.pages))
        if source:
            parts.append(Markup(" ") + source + Markup("."))
    elif kind == "chapter":
        parts.append(Markup(" ") + escape(_sentence_end(reference.title)))
        if reference.container:
            match = _EDITION_RE.match(reference.container)
            book, note = (match["title"], match["note"]) if match else (reference.container, "")
            details = [note] if note else []
            if reference.pages:
                details.append(f"pp. {_pages(reference.pages)}")
            parts.append(Markup(" In <em>{}</em>").format(book))
            parts.append(Markup(" ({}).").format(", ".join(details)) if details else Markup("."))
        if reference.publisher:
            parts.append(Markup(" ") + escape(_sentence_end(reference.publisher)))
    else:  # book, report
        parts.append(Markup(" ") + _closing(_italic_title(reference.title), reference.title))
        if reference.publisher:
            parts.append(Markup(" ") + escape(_sentence_end(reference.publisher)))
    if reference.link:
        parts.append(Markup(' <a href="{0}">{0}</a>').format(reference.link))
    return Markup("").join(parts)


@dataclass(frozen=True)
class CitedIn:
    slug: str
    title: str


@dataclass(frozen=True)
class Citation:
    key: str
    kind: str
    html: Markup
    seminal: bool
    annotation: str
    cited_in: tuple[CitedIn, ...] = ()


def _sort_key(reference: Reference) -> tuple[str, int, str]:
    """APA's order: by the first author's surname (then the rest of the list), year, title."""
    return reference.authors.casefold(), reference.year, reference.title.casefold()


def citations(references: Iterable[Reference], cited_in: dict[int, list[CitedIn]] | None = None) -> list[Citation]:
    return [
        Citation(key=ref.key, kind=ref.kind, html=apa_citation(ref), seminal=ref.seminal, annotation=ref.annotation,
                 cited_in=tuple((cited_in or {}).get(ref.id, ())))
        for ref in sorted(references, key=_sort_key)
    ]


@dataclass(frozen=True)
class ModuleBibliography:
    citations: list[Citation]  # the whole list, APA order
    seminal_count: int

    def shown(self, seminal_only: bool) -> list[Citation]:
        return [c for c in self.citations if c.seminal] if seminal_only else self.citations


def module_bibliography(module: Module) -> ModuleBibliography:
    """Every reference of ``module`` in APA order, each with the lectures that cite it (two queries)."""
    references = list(db.session.scalars(select(Reference).where(Reference.module_id == module.id)))
    rows = db.session.execute(
        select(LectureReference.reference_id, Lecture.slug, Lecture.title)
        .join(Lecture, Lecture.id == LectureReference.lecture_id)
        .where(Lecture.module_id == module.id)
        .order_by(Lecture.position)
    ).all()
    cited_in: dict[int, list[CitedIn]] = {}
    for reference_id, slug, title in rows:
        cited_in.setdefault(reference_id, []).append(CitedIn(slug, title))
    listed = citations(references, cited_in)
    return ModuleBibliography(listed, sum(1 for c in listed if c.seminal))


def lecture_references(lecture_id: int) -> list[Reference]:
    """The references a lecture cites, in the order its front matter lists them (one query)."""
    return list(db.session.scalars(
        select(Reference).join(LectureReference, LectureReference.reference_id == Reference.id)
        .where(LectureReference.lecture_id == lecture_id).order_by(LectureReference.position)
    ))


def module_references(module_id: int) -> list[Reference]:
    return sorted(db.session.scalars(select(Reference).where(Reference.module_id == module_id)), key=_sort_key)


# Exports -------------------------------------------------------------------------------------------------------------

def _latex(text: str) -> str:
    return text.translate(_LATEX_SPECIALS)


def bibtex_entry(reference: Reference) -> dict[str, str]:
    names = split_authors(reference.authors)
    entry = {"ENTRYTYPE": BIBTEX_TYPES[reference.kind], "ID": reference.key,
             "editor" if names.editors else "author": " and ".join(_latex(p.bibtex) for p in names.people),
             "title": _latex(reference.title), "year": str(reference.year)}
    container_field = {"article": "journal", "chapter": "booktitle"}.get(reference.kind)
    if reference.container and container_field:
        entry[container_field] = _latex(reference.container)
    if reference.publisher:
        entry["institution" if reference.kind == "report" else "publisher"] = _latex(reference.publisher)
    optional = {"volume": reference.volume, "number": reference.issue, "pages": _pages(reference.pages, "--"),
                "doi": reference.doi, "url": reference.url}
    entry.update({name: _latex(value) if name not in ("doi", "url") else value
                  for name, value in optional.items() if value})
    if reference.seminal:
        entry["keywords"] = "seminal"
    return entry


def to_bibtex(references: Sequence[Reference]) -> str:
    database = BibDatabase()
    database.entries = [bibtex_entry(reference) for reference in references]
    writer = BibTexWriter()
    writer.order_entries_by = None  # keep the APA order of the list
    writer.indent = "  "
    text: str = bibtexparser.dumps(database, writer)
    return text


def ris_entry(reference: Reference) -> dict[str, object]:
    names = split_authors(reference.authors)
    kind = "EDBOOK" if names.editors and reference.kind == "book" else RIS_TYPES[reference.kind]
    entry: dict[str, object] = {"type_of_reference": kind, "id": reference.key,
                                "authors": [person.ris for person in names.people],
                                "title": reference.title, "year": str(reference.year)}
    pages = _pages(reference.pages, "-")
    start, _, end = pages.partition("-")
    optional: dict[str, object] = {
        "secondary_title": reference.container, "publisher": reference.publisher, "volume": reference.volume,
        "number": reference.issue, "start_page": start, "end_page": end, "doi": reference.doi,
        "urls": [reference.url] if reference.url else [], "keywords": ["seminal"] if reference.seminal else [],
        "notes": [reference.annotation] if reference.annotation else [],
    }
    entry.update({name: value for name, value in optional.items() if value})
    return entry


class _RisFileWriter(RisWriter):
    """RIS as reference managers write it: no "1." line numbering each reference (rispy's default header)."""

    def set_header(self, count: int) -> str:
        return ""


def _one_line(value: object) -> object:
    """RIS is one tag a line: line breaks inside a value become spaces."""
    if isinstance(value, list):
        return [_one_line(item) for item in value]
    return " ".join(value.split()) if isinstance(value, str) else value


def to_ris(references: Sequence[Reference]) -> str:
    entries = [{name: _one_line(value) for name, value in ris_entry(ref).items()} for ref in references]
    text: str = rispy.dumps(entries, implementation=_RisFileWriter)
    return text


def export(references: Sequence[Reference], fmt: str) -> str:
    """``references`` as a BibTeX (``bib``) or RIS (``ris``) file."""
    return to_bibtex(references) if fmt == "bib" else to_ris(references)
