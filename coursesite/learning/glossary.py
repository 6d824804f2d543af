"""A module's glossary: the A–Z page, and the links from a term's first occurrence in a study guide or a lecture
transcript to its entry, with the definition shown on hover and keyboard focus.

Linking works on text only: plain text (a transcript cue) is escaped piece by piece, and rendered Markdown (a guide,
already sanitised by coursesite.markdown) is split into tags and text, and only text outside links, headings, code
and the like is linked. No input text is ever marked safe: a term or definition holding HTML shows as text.
"""
from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import select

from coursesite.catalog.models import GlossaryTerm
from coursesite.extensions import db
from coursesite.markdown import render_markdown

ANCHOR_PREFIX = "term-"  # the glossary page's anchor for a term: #term-<slug>
# Text inside these elements is never linked (a link in a link, a heading or code would be wrong or unreadable).
SKIPPED = {"a", "code", "pre", "kbd", "samp", "h1", "h2", "h3", "h4", "h5", "h6", "dfn", "abbr", "button", "script",
           "style", "textarea", "select", "option", "label"}
VOID = {"br", "hr", "img", "input", "wbr", "meta", "link", "source", "track", "col", "area", "embed", "param"}
_TAG_RE = re.compile(r"(<[^>]*>)")
_TAG_NAME_RE = re.compile(r"^<\s*(/?)\s*([a-zA-Z0-9]+)")
LETTERS = [chr(code) for code in range(ord("A"), ord("Z") + 1)]
OTHER = "#"  # the group of terms that start with a digit or a symbol


@dataclass(frozen=True)
class Term:
    term: str
    slug: str
    definition: Markup  # rendered Markdown
    summary: str  # the definition as plain text, for the hover/focus tip
    related: tuple[tuple[str, str | None], ...] = ()  # (name, slug or None when the name is not a term)

    @property
    def anchor(self) -> str:
        return ANCHOR_PREFIX + self.slug

    @property
    def letter(self) -> str:
        first = unicodedata.normalize("NFKD", self.term.strip()[:1]).encode("ascii", "ignore").decode().upper()
        return first if first in LETTERS else OTHER


def _slugify(text: str) -> str:
    """The catalogue's slug for a term name (coursesite/catalog/content/reader.py slugify)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:120]


def terms_of(rows: Iterable[GlossaryTerm]) -> list[Term]:
    """The glossary rows as terms in alphabetical order, related terms resolved to their anchors."""
    rows = list(rows)
    by_name = {row.term.casefold(): row.slug for row in rows} | {row.slug: row.slug for row in rows}
    terms = []
    for row in rows:
        definition = render_markdown(row.definition)
        related = tuple((name, by_name.get(name.casefold()) or by_name.get(_slugify(name))) for name in row.related)
        terms.append(Term(row.term, row.slug, definition, definition.striptags(), related))
    return sorted(terms, key=lambda term: term.term.casefold())


def module_terms(module_id: int) -> list[Term]:
    """The glossary of a module (one query)."""
    return terms_of(db.session.scalars(select(GlossaryTerm).where(GlossaryTerm.module_id == module_id)))


@dataclass(frozen=True)
class LetterGroup:
    letter: str
    terms: list[Term]


@dataclass(frozen=True)
class GlossaryPage:
    groups: list[LetterGroup]  # letters that have terms (after the filter), in order
    letters: list[tuple[str, bool]]  # A–Z (and # when used): (letter, has terms shown)
    total: int
    shown: int
    query: str


def matches(term: Term, query: str) -> bool:
    needle = query.casefold()
    return needle in term.term.casefold() or needle in term.summary.casefold()


def glossary_page(terms: Sequence[Term], query: str = "") -> GlossaryPage:
    """The A–Z page of ``terms``; with ``query`` only the terms whose name or definition contains it."""
    query = " ".join(query.split())[:100]
    shown = [term for term in terms if not query or matches(term, query)]
    groups: dict[str, list[Term]] = {}
    for term in shown:
        groups.setdefault(term.letter, []).append(term)
    order = [*LETTERS, OTHER]
    letters = [(letter, letter in groups) for letter in order if letter != OTHER or OTHER in groups]
    return GlossaryPage(
        groups=[LetterGroup(letter, groups[letter]) for letter in order if letter in groups],
        letters=letters, total=len(terms), shown=len(shown), query=query,
    )


class GlossaryLinker:
    """Links each term at its first occurrence in one document (a guide, a transcript): whole words, any case.

    ``url`` is the glossary page; ``prefix`` starts the ids of the definition tips, unique on the page.
    """

    def __init__(self, terms: Sequence[Term], url: str, prefix: str = "tip-") -> None:
        self.url = url
        self.prefix = prefix
        self.seen: set[str] = set()
        self._by_words = {self._words(term.term): term for term in terms if term.term.strip()}
        names = sorted(self._by_words, key=len, reverse=True)  # longest first: "rupture and repair" before "rupture"
        alternatives = "|".join(r"\s+".join(re.escape(word) for word in name.split()) for name in names)
        self._pattern = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE) if names else None

    @staticmethod
    def _words(text: str) -> str:
        return " ".join(text.split()).casefold()

    def _link(self, term: Term, text: str) -> Markup:
        tip = f"{self.prefix}{term.slug}"
        return Markup(
            '<span class="gloss"><a class="gloss-term" href="{url}#{anchor}" aria-describedby="{tip}">{text}</a>'
            '<span class="gloss-tip" role="tooltip" id="{tip}">{summary}</span></span>'
        ).format(url=self.url, anchor=term.anchor, tip=tip, text=text, summary=term.summary)

    def link_text(self, text: str) -> Markup:
        """Plain ``text`` as safe HTML, its not-yet-linked terms linked."""
        if self._pattern is None or len(self.seen) == len(self._by_words):
            return escape(text)
        pieces: list[Markup] = []
        position = 0
        for match in self._pattern.finditer(text):
            term = self._by_words.get(self._words(match.group(0)))
            if term is None or term.slug in self.seen:
                continue
            self.seen.add(term.slug)
            pieces.append(escape(text[position:match.start()]))
            pieces.append(self._link(term, match.group(0)))
            position = match.end()
        pieces.append(escape(text[position:]))
        return Markup("").join(pieces)

    def link_html(self, rendered: Markup) -> Markup:
        """Sanitised HTML (from coursesite.markdown) with terms linked in its text, never inside ``SKIPPED``."""
        if self._pattern is None:
            return rendered
        out: list[str] = []
        open_skipped: list[str] = []
        for piece in _TAG_RE.split(str(rendered)):
            if piece.startswith("<"):
                out.append(piece)
                name_match = _TAG_NAME_RE.match(piece)
                if not name_match:
                    continue
                closing, name = name_match.group(1) == "/", name_match.group(2).lower()
                if name not in SKIPPED or name in VOID or piece.endswith("/>"):
                    continue
                if closing:
                    if name in open_skipped:
                        del open_skipped[len(open_skipped) - 1 - open_skipped[::-1].index(name)]
                else:
                    open_skipped.append(name)
            elif piece and not open_skipped:
                out.append(str(self.link_text(html.unescape(piece))))
            else:
                out.append(piece)
        return Markup("".join(out))  # noqa: S704 - tags come from the sanitised input, text pieces from link_text
