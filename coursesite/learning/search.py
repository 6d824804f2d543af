"""Search: one interface, two engines (SQLite FTS5, PostgreSQL full-text search), chosen by the database in use.

Everyone finds the catalogue (published modules' titles, subtitles, summaries and objectives; their speakers).
Learners also find, in the modules they may read now (billing's access policy), transcript cues (a hit opens the
lecture at that second), study guide sections, glossary terms and references. Hits are grouped by module (the module
with the best hit first) and paged.

What was typed never reaches either engine as syntax: it is cut to :data:`MAX_QUERY_LENGTH` characters, split into
words (letters and digits), stripped of very common words and searched for as plain words that must all occur
(FTS5: each word a quoted string, joined by AND; PostgreSQL: ``plainto_tsquery``). Operators, quotes and brackets
are just punctuation. A query that leaves no word to search for gets a message instead of a search.

The index (``search_entries``, coursesite/learning/search_models.py) is rebuilt for a module by :func:`index_module`,
which the content import calls through the ``search`` content section inside its transaction; a module's speakers
are indexed with every module they speak in, so importing one module refreshes them everywhere.

To keep a search quick whatever the corpus, at most :data:`MAX_CANDIDATES` matching entries are ranked; the page
says so when a search matched more.
"""
from __future__ import annotations

import html
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import url_for
from markupsafe import Markup, escape
from sqlalchemy import bindparam, delete, insert, select, text
from sqlalchemy.sql.elements import TextClause

from coursesite.billing.access import access_windows
from coursesite.catalog.content.sections import ContentSection
from coursesite.catalog.content.yamlfields import Fields, Report
from coursesite.catalog.models import Lecture, LectureSpeaker, Module, Speaker
from coursesite.extensions import db
from coursesite.learning.glossary import ANCHOR_PREFIX as GLOSSARY_ANCHOR_PREFIX
from coursesite.learning.search_models import (
    CATALOGUE_KINDS,
    FTS_TABLE,
    POSTGRES_COLUMN,
    POSTGRES_CONFIG,
    SEARCH_KINDS,
    SearchEntry,
)
from coursesite.learning.transcript import format_seconds
from coursesite.markdown import render_markdown
from coursesite.models_base import as_utc, utcnow
from coursesite.permissions import Right, Viewer, has_right, signed_in
from coursesite.text import printable_only

PAGE_SIZE = 20
MAX_CANDIDATES = 1000  # matching entries ranked per search; more are counted as "more than"
MAX_PAGE = math.ceil(MAX_CANDIDATES / PAGE_SIZE)
MAX_QUERY_LENGTH = 200  # characters of what was typed that are read
MAX_TERMS = 8
MAX_TERM_LENGTH = 50
# Marks around matched words, put in by the engine and turned into <mark> after the text is escaped. Private-use
# characters: stripped from everything indexed, so content cannot forge one.
START, STOP = "\ue000", "\ue001"
# PostgreSQL's headline drops what looks like a markup tag: angle brackets go to it as these, and come back.
LESS, GREATER = "\ue002", "\ue003"
_MARKS = re.compile("[\ue000-\ue003]")
_WORD = re.compile(r"[^\W_]+")
_SPACE = re.compile(r"\s+")
KIND_LABELS = {
    "module": "Module", "speaker": "Speaker", "cue": "Transcript", "guide": "Study guide", "term": "Glossary",
    "reference": "Bibliography",
}

# Words too common to say anything about what is looked for (English function words; PostgreSQL's ``english``
# configuration drops the like of them too, so both engines agree on what a query of only these finds: nothing).
_STOP_WORDS_TEXT = """
a about above after again against all am an and any are as at be because been before being below between both but by
can could did do does doing down during each few for from further had has have having he her here hers herself him
himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other
our ours ourselves out over own same she should so some such than that the their theirs them themselves then there
these they this those through to too under until up very was we were what when where which while who whom why will
with would you your yours yourself yourselves
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


# The query ------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SearchQuery:
    """What was typed, read: the words searched for, notes on what was left out, or why nothing can be searched."""

    text: str  # as typed, cut to MAX_QUERY_LENGTH characters (shown back in the search box)
    terms: tuple[str, ...]
    notes: tuple[str, ...] = ()
    problem: str | None = None


def parse_query(raw: str | None) -> SearchQuery:
    typed = printable_only(raw or "")
    shown = typed[:MAX_QUERY_LENGTH]
    notes: list[str] = []
    if len(typed) > MAX_QUERY_LENGTH:
        notes.append(f"Your search was long: only its first {MAX_QUERY_LENGTH} characters were used.")
    if not shown:
        return SearchQuery(shown, (), tuple(notes), "Type a word or two to search for.")
    words = [word.casefold() for word in _WORD.findall(shown)]
    if not words:
        return SearchQuery(shown, (), tuple(notes), "Your search has no letters or numbers to look for. "
                                                    "Search for words, such as a topic or a speaker's name.")
    kept = [word for word in words if word not in STOP_WORDS and len(word) <= MAX_TERM_LENGTH]
    if not kept:
        return SearchQuery(shown, (), tuple(notes), "Your search has only very common words (such as “the” or "
                                                    "“and”), which tell us nothing to look for. Add a more specific "
                                                    "word.")
    terms = tuple(dict.fromkeys(kept))
    if len(terms) > MAX_TERMS:
        notes.append(f"Only the first {MAX_TERMS} words were searched for.")
        terms = terms[:MAX_TERMS]
    return SearchQuery(shown, terms, tuple(notes))


def parse_page(raw: str | None) -> tuple[int, str | None]:
    """The page number asked for, and a message when it was not one (the first page is shown instead)."""
    value = (raw or "").strip()
    if not value:
        return 1, None
    if value.isascii() and value.isdigit() and len(value) <= 6 and int(value) >= 1:
        return int(value), None
    return 1, f"“{value[:20]}” is not a page number, so here is the first page."


# Results --------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Hit:
    kind: str
    label: str  # "Transcript, 12:05", "Glossary", ...
    title: Markup  # escaped, matched words in <mark>
    excerpt: Markup
    context: str  # the lecture or guide the hit is in
    url: str


@dataclass(frozen=True)
class ModuleHits:
    slug: str
    title: str
    hits: list[Hit]


@dataclass(frozen=True)
class SearchResults:
    query: SearchQuery
    page: int
    pages: int
    total: int  # hits ranked (at most MAX_CANDIDATES)
    more: bool  # the search matched more than MAX_CANDIDATES entries
    groups: list[ModuleHits]
    message: str | None = None  # about the page number asked for
    catalogue_only: bool = True  # the viewer reads no module: only catalogue entries were searched

    @property
    def searched(self) -> bool:
        return self.query.problem is None


def search(query: str | SearchQuery, viewer: Viewer | None, page: int = 1) -> SearchResults:
    """Page ``page`` of what ``viewer`` (None: a visitor) finds for ``query`` (as typed, or parsed)."""
    parsed = query if isinstance(query, SearchQuery) else parse_query(query)
    if parsed.problem:
        return SearchResults(parsed, 1, 0, 0, False, [])
    readable = readable_module_ids(viewer)
    engine = _engine()
    engine.prepare()
    message = None
    asked, page = page, min(page, MAX_PAGE)
    rows, total = engine.page(parsed.terms, readable, page)
    if not rows and page > 1:
        total = engine.count(parsed.terms, readable)
        last = max(1, math.ceil(min(total, MAX_CANDIDATES) / PAGE_SIZE))
        message = f"There is no page {asked}: " + (f"the results fill {last} page{'s' if last > 1 else ''}."
                                                    if total else "nothing was found.")
        page = last
        rows, total = engine.page(parsed.terms, readable, page) if total else ([], 0)
    elif asked > page:
        message = f"There is no page {asked}: a search shows at most {MAX_PAGE} pages."
    marks = engine.highlights(parsed.terms, [row["id"] for row in rows])
    groups: list[ModuleHits] = []
    for row in rows:
        if not groups or groups[-1].slug != row["module_slug"]:
            groups.append(ModuleHits(row["module_slug"], row["module_title"], []))
        title, excerpt = marks.get(row["id"], (row["title"], row["body"][:300]))
        groups[-1].hits.append(_hit(row, title, excerpt))
    return SearchResults(parsed, page, max(1, math.ceil(min(total, MAX_CANDIDATES) / PAGE_SIZE)) if total else 0,
                         min(total, MAX_CANDIDATES), total > MAX_CANDIDATES, groups, message,
                         catalogue_only=readable is not None and not readable)


def readable_module_ids(viewer: Viewer | None) -> frozenset[int] | None:
    """The modules whose content ``viewer`` may search now (billing's access windows); None: every module (staff
    who may open every module)."""
    if not signed_in(viewer):
        return frozenset()
    if has_right(viewer, Right.VIEW_ALL_MODULES):
        return None
    now = utcnow()
    return frozenset(window.module_id for window in access_windows(viewer.id)
                     if window.kind == "access" and as_utc(window.valid_from) <= now < as_utc(window.valid_until))


def marked(textual: str) -> Markup:
    """Escape ``textual``, then turn the engine's marks into ``<mark>`` (unbalanced marks are closed or dropped)."""
    out: list[str] = []
    open_mark = False
    for piece in re.split(f"([{START}{STOP}])", textual):
        if piece == START:
            if not open_mark:
                out.append("<mark>")
                open_mark = True
        elif piece == STOP:
            if open_mark:
                out.append("</mark>")
                open_mark = False
        else:
            out.append(str(escape(piece.replace(LESS, "<").replace(GREATER, ">"))))
    if open_mark:
        out.append("</mark>")
    return Markup("".join(out))  # noqa: S704 - every piece of text was escaped just above


def _clock(seconds: float) -> str:
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _hit(row: dict[str, Any], title: str, excerpt: str) -> Hit:
    kind, slug, target, anchor = row["kind"], row["module_slug"], row["target"], row["anchor"] or None
    label = KIND_LABELS[kind]
    if kind == "module":
        url = url_for("catalog.module", slug=slug)
    elif kind == "speaker":
        url = url_for("catalog.speaker", slug=target)
    elif kind == "cue":
        seconds = row["seconds"] or 0.0
        url = url_for("learning.lecture", slug=slug, lecture_slug=target, t=format_seconds(seconds))
        label = f"Transcript at {_clock(seconds)}"
    elif kind == "guide":
        url = url_for("reading.guide", slug=slug, guide_slug=target, _anchor=anchor)
    elif kind == "term":
        url = url_for("reading.glossary", slug=slug, _anchor=anchor)
    else:
        url = url_for("reading.bibliography", slug=slug, _anchor=anchor)
    return Hit(kind, label, marked(title), marked(excerpt), row["context"], url)


# The engines -------------------------------------------------------------------------------------------------------

_KIND_ORDER = "CASE e.kind " + " ".join(f"WHEN '{kind}' THEN {n}" for n, kind in enumerate(SEARCH_KINDS)) + " END"
_COLUMNS = ("e.id, e.module_id, e.kind, e.target, e.anchor, e.seconds, e.context, e.title, e.body, "
            "m.slug AS module_slug, m.title AS module_title")


_CATALOGUE = "e.kind IN (" + ", ".join(f"'{kind}'" for kind in CATALOGUE_KINDS) + ")"


def _access(readable: frozenset[int] | None) -> str:
    """Which entries a reader of ``readable`` modules finds: published modules only (their pages are the only ones
    that open), their catalogue entries for everyone, their content for readers."""
    if readable is None:
        return "m.published"
    if not readable:
        return f"m.published AND {_CATALOGUE}"
    return f"m.published AND ({_CATALOGUE} OR e.module_id IN :readable)"


def _bind(statement: str, readable: frozenset[int] | None, **values: Any) -> tuple[TextClause, dict[str, Any]]:
    clause = text(statement)
    if readable:
        clause = clause.bindparams(bindparam("readable", expanding=True))
        values["readable"] = sorted(readable)
    return clause, values


class Engine(ABC):
    """One database's full-text search: the matching entries ranked, a page of them, their marked text."""

    @abstractmethod
    def prepare(self) -> None:
        """Settings for the searches of this transaction."""

    @abstractmethod
    def match(self, terms: Sequence[str], readable: frozenset[int] | None) -> str:
        """SQL of the entries that match (id, module_id, score: lower is better), at most ``:cap`` of them."""

    @abstractmethod
    def values(self, terms: Sequence[str], readable: frozenset[int] | None) -> dict[str, Any]:
        """The bound values ``match`` needs."""

    @abstractmethod
    def highlights(self, terms: Sequence[str], ids: list[int]) -> dict[int, tuple[str, str]]:
        """The marked title and excerpt of the entries ``ids`` (marks START and STOP around matched words)."""

    def page(self, terms: Sequence[str], readable: frozenset[int] | None,
             page: int) -> tuple[list[dict[str, Any]], int]:
        """The rows of page ``page`` and how many entries matched (counted up to MAX_CANDIDATES + 1)."""
        statement = f"""
            WITH matched AS ({self.match(terms, readable)}),
            ranked AS (
                SELECT id, score, min(score) OVER (PARTITION BY module_id) AS module_score,
                       count(*) OVER () AS total
                FROM matched
            )
            SELECT r.total, {_COLUMNS}
            FROM ranked AS r JOIN search_entries AS e ON e.id = r.id JOIN modules AS m ON m.id = e.module_id
            ORDER BY r.module_score, e.module_id, {_KIND_ORDER}, r.score, e.position, e.id
            LIMIT :size OFFSET :offset"""  # noqa: S608 - fixed SQL; every value is a bound parameter
        offset = (page - 1) * PAGE_SIZE  # the extra candidate only says there are more: it is never shown
        clause, values = _bind(statement, readable, **self.values(terms, readable), offset=offset,
                               size=min(PAGE_SIZE, MAX_CANDIDATES - offset), cap=MAX_CANDIDATES + 1)
        rows = [dict(row._mapping) for row in db.session.execute(clause, values)]
        return rows, (rows[0]["total"] if rows else 0)

    def count(self, terms: Sequence[str], readable: frozenset[int] | None) -> int:
        statement = f"SELECT count(*) FROM ({self.match(terms, readable)}) AS matched"  # noqa: S608 - as above
        clause, values = _bind(statement, readable, **self.values(terms, readable), cap=MAX_CANDIDATES + 1)
        return int(db.session.scalar(clause, values) or 0)


class SqliteEngine(Engine):
    """FTS5 (porter stemmer over unicode61): the words AND-ed, in the title or body.

    Ranked without bm25: to weigh words bm25 first counts every entry holding each of them, which for a word in
    most cues is a scan of the whole index. The order instead puts entries with the words in their title first
    (a term, a heading, a lecture's title), then the shorter (the more to the point), which costs nothing more
    than the entries read.
    """

    def prepare(self) -> None:
        """SQLite needs no setting: its statements are planned for their own words every time."""

    def values(self, terms: Sequence[str], readable: frozenset[int] | None) -> dict[str, Any]:
        # Terms hold only letters and digits: quoted, each is one FTS5 string whatever it spells (AND, NEAR, ...),
        # looked for in the title and body only. The scope column narrows the search to what the reader may see
        # inside the full-text index (see search_models), so other modules' entries cost nothing.
        words = "{title body} : (" + " AND ".join(f'"{term}"' for term in terms) + ")"
        likes = {f"like{index}": f"%{term}%" for index, term in enumerate(terms)}  # no % or _ in a term
        if readable is None:
            return {"match": words, **likes}
        scopes = ["catalogue", *(f"m{module_id}" for module_id in sorted(readable))]
        return {"match": "{scope} : (" + " OR ".join(scopes) + ") AND " + words, **likes}

    def match(self, terms: Sequence[str], readable: frozenset[int] | None) -> str:
        # CROSS JOIN keeps the full-text index as the outer loop; the LIMIT stops reading after MAX_CANDIDATES.
        in_title = " + ".join(f"(e.title LIKE :like{index})" for index in range(len(terms)))
        return f"""
            SELECT e.id AS id, e.module_id AS module_id, length(e.body) - 100000 * ({in_title}) AS score
            FROM {FTS_TABLE} CROSS JOIN search_entries AS e ON e.id = {FTS_TABLE}.rowid
            JOIN modules AS m ON m.id = e.module_id
            WHERE {FTS_TABLE} MATCH :match AND {_access(readable)}
            LIMIT :cap"""  # noqa: S608 - fixed SQL

    def highlights(self, terms: Sequence[str], ids: list[int]) -> dict[int, tuple[str, str]]:
        if not ids:
            return {}
        statement = text(f"""
            SELECT rowid, highlight({FTS_TABLE}, 0, :start, :stop),
                   snippet({FTS_TABLE}, 1, :start, :stop, '…', 32)
            FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :match AND rowid IN :ids""").bindparams(  # noqa: S608
            bindparam("ids", expanding=True))
        rows = db.session.execute(statement, {**self.values(terms, None), "start": START, "stop": STOP, "ids": ids})
        return {row[0]: (row[1], row[2]) for row in rows}


class PostgresEngine(Engine):
    """The stored tsvector (GIN index), plainto_tsquery, ranked by ts_rank."""

    def prepare(self) -> None:
        # psycopg prepares a statement run five times, and PostgreSQL may then plan it once for any words: a plan
        # that suits a rare word reads the whole index for a common one. Plan each search for its own words.
        db.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))

    def values(self, terms: Sequence[str], readable: frozenset[int] | None) -> dict[str, Any]:
        if readable is None:
            return {"words": " ".join(terms)}
        # The scope lexemes of what the reader may see (see search_models), built from numbers only.
        scopes = ["'_catalogue'", *(f"'_m{int(module_id)}'" for module_id in sorted(readable))]
        return {"words": " ".join(terms), "scope": " | ".join(scopes)}

    def match(self, terms: Sequence[str], readable: frozenset[int] | None) -> str:
        # With a scope, the GIN index finds the entries holding the words AND in the reader's modules at once;
        # otherwise the planner may read the table in order until it has :cap rows, through every other module.
        scoped = "q.query" if readable is None else "(q.query && CAST(:scope AS tsquery))"
        return f"""
            SELECT e.id, e.module_id, -ts_rank(e.{POSTGRES_COLUMN}, q.query) AS score
            FROM search_entries AS e JOIN modules AS m ON m.id = e.module_id,
                 plainto_tsquery('{POSTGRES_CONFIG}', :words) AS q(query)
            WHERE e.{POSTGRES_COLUMN} @@ {scoped} AND {_access(readable)}
            LIMIT :cap"""  # noqa: S608 - fixed SQL

    def highlights(self, terms: Sequence[str], ids: list[int]) -> dict[int, tuple[str, str]]:
        if not ids:
            return {}
        marks = f'StartSel="{START}", StopSel="{STOP}"'
        title, body = (f"translate(e.{column}, '<>', '{LESS}{GREATER}')" for column in ("title", "body"))
        statement = text(f"""
            SELECT e.id,
                   ts_headline('{POSTGRES_CONFIG}', {title}, q.query, '{marks}, HighlightAll=true'),
                   ts_headline('{POSTGRES_CONFIG}', {body}, q.query,
                               '{marks}, MaxWords=32, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "')
            FROM search_entries AS e, plainto_tsquery('{POSTGRES_CONFIG}', :words) AS q(query)
            WHERE e.id IN :ids""").bindparams(bindparam("ids", expanding=True))  # noqa: S608 - fixed SQL
        rows = db.session.execute(statement, {**self.values(terms, None), "ids": ids})
        return {row[0]: (row[1], row[2]) for row in rows}


def _engine() -> Engine:
    return PostgresEngine() if db.session.get_bind().dialect.name == "postgresql" else SqliteEngine()


# The index ------------------------------------------------------------------------------------------------------------

def plain(value: str) -> str:
    """Text as indexed: the engine's marks removed, whitespace folded."""
    return _SPACE.sub(" ", _MARKS.sub(" ", value or "")).strip()


_HEADING = re.compile(r'<h([2-6]) id="([a-z0-9-]+)">(.*?)</h\1>', re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def _html_text(fragment: str) -> str:
    return plain(html.unescape(_TAG.sub(" ", fragment)))


def guide_sections(body: str) -> list[tuple[str, str, str]]:
    """``(anchor, heading, text)`` for each section of a guide as its page renders it (``render_markdown`` with
    anchors, so the anchors are the page's); text before the first heading has the anchor ``""``."""
    rendered = str(render_markdown(body, anchors=True))
    sections: list[tuple[str, str, str]] = []
    matches = list(_HEADING.finditer(rendered))
    lead = _html_text(rendered[:matches[0].start()] if matches else rendered)
    if lead:
        sections.append(("", "", lead))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(rendered)
        sections.append((match.group(2), _html_text(match.group(3)), _html_text(rendered[match.end():end])))
    return sections


def term_anchor(slug: str) -> str:
    """The glossary page's anchor for a term (coursesite/learning/glossary.py)."""
    return GLOSSARY_ANCHOR_PREFIX + slug


def reference_anchor(key: str) -> str:
    """The bibliography page's anchor for a reference (templates/learning/bibliography.html)."""
    return f"ref-{key}"


def markdown_text(source: str) -> str:
    """The words of Markdown (a summary, a bio) as a reader sees them, without its syntax."""
    return _html_text(str(render_markdown(source)))


def _entry(module_id: int, kind: str, position: int, title: str, body: str, *, target: str = "", anchor: str = "",
           seconds: float | None = None, context: str = "") -> dict[str, Any]:
    return {"module_id": module_id, "kind": kind, "position": position,
            "target": target[:120], "anchor": anchor[:200], "seconds": seconds, "context": plain(context)[:300],
            "title": plain(title)[:500], "body": plain(body)}


def module_entries(module: Module) -> Iterator[dict[str, Any]]:
    """The entries of a module's own content (everything but its speakers)."""
    about = [module.subtitle, markdown_text(module.summary), *module.objectives]
    yield _entry(module.id, "module", 0, module.title, " ".join(about))
    position = 0
    for lecture in module.lectures:
        for cue in lecture.cues or []:
            position += 1
            words = f"{cue['speaker']}: {cue['text']}" if cue.get("speaker") else cue["text"]
            yield _entry(module.id, "cue", position, lecture.title, words, target=lecture.slug,
                         seconds=float(cue["start"]), context=lecture.title)
    position = 0
    for guide in module.guides:
        for anchor, heading, body in guide_sections(guide.body):
            position += 1
            yield _entry(module.id, "guide", position, heading or guide.title, body, target=guide.slug,
                         anchor=anchor, context=guide.title)
    for term in module.glossary:
        yield _entry(module.id, "term", term.position, term.term, markdown_text(term.definition),
                     anchor=term_anchor(term.slug))
    for reference in module.references:
        citation = " ".join(part for part in (reference.authors, f"({reference.year})", reference.container,
                                              reference.publisher, reference.annotation) if part)
        yield _entry(module.id, "reference", reference.position, reference.title, citation,
                     anchor=reference_anchor(reference.key))


def speaker_entry(module_id: int, position: int, speaker: Speaker) -> dict[str, Any]:
    name = f"{speaker.name}, {speaker.credentials}" if speaker.credentials else speaker.name
    return _entry(module_id, "speaker", position, name, f"{speaker.title} {markdown_text(speaker.bio)}",
                  target=speaker.slug)


def index_module(module: Module) -> None:
    """Rebuild the index of ``module`` (flushed, in the caller's transaction), and the speaker entries of every
    module that shares a speaker with it. Removed content disappears with the rows deleted here."""
    db.session.flush()
    db.session.execute(delete(SearchEntry).where(SearchEntry.module_id == module.id, SearchEntry.kind != "speaker"))
    _insert(module_entries(module))
    speaker_ids = [speaker.id for speaker in module.speakers]
    sharing = set(db.session.scalars(
        select(Lecture.module_id).join(LectureSpeaker).where(LectureSpeaker.speaker_id.in_(speaker_ids))
    )) if speaker_ids else set()
    index_speakers(sharing | {module.id})


def index_speakers(module_ids: Iterable[int]) -> None:
    """Rebuild the speaker entries of these modules (two queries and the writes, whatever their number)."""
    ids = sorted(set(module_ids))
    if not ids:
        return
    db.session.execute(delete(SearchEntry).where(SearchEntry.module_id.in_(ids), SearchEntry.kind == "speaker"))
    links = db.session.execute(
        select(Lecture.module_id, Speaker)
        .join(LectureSpeaker, LectureSpeaker.lecture_id == Lecture.id).join(Speaker)
        .where(Lecture.module_id.in_(ids)).order_by(Lecture.module_id, Lecture.position, LectureSpeaker.position)
    )
    seen: dict[int, dict[int, dict[str, Any]]] = {}
    for module_id, speaker in links:
        speakers = seen.setdefault(module_id, {})
        if speaker.id not in speakers:
            speakers[speaker.id] = speaker_entry(module_id, len(speakers) + 1, speaker)
    _insert(entry for speakers in seen.values() for entry in speakers.values())


def _insert(entries: Iterable[dict[str, Any]], batch: int = 5000) -> None:
    chunk: list[dict[str, Any]] = []
    for entry in entries:
        chunk.append(entry)
        if len(chunk) >= batch:
            db.session.execute(insert(SearchEntry), chunk)
            chunk = []
    if chunk:
        db.session.execute(insert(SearchEntry), chunk)


def reindex_all() -> int:
    """Rebuild the whole index (after the migration on a database that already holds content); the caller commits.
    Returns the number of modules indexed."""
    modules = list(db.session.scalars(select(Module)))
    for module in modules:
        index_module(module)
    return len(modules)


# The content import's section: nothing in the files, an index rebuilt on every import ------------------------------

def _read_nothing(_module_dir: Path, _fields: Fields, _values: dict[str, Any], _report: Report) -> None:
    return None


def _apply_index(module: Module, _data: None) -> None:
    index_module(module)


def _export_nothing(_module: Module) -> tuple[dict[str, Any], dict[str, Any]]:
    return {}, {}


SEARCH_SECTION = ContentSection(
    name="search", module_keys=frozenset(), read=_read_nothing, apply=_apply_index, export=_export_nothing,
)
