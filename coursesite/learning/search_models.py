"""The search index: one row per thing a search can find (coursesite/learning/search.py reads and writes it).

``search_entries`` holds the text and where a hit leads, on every database. The full-text index over it belongs to
each database and is built by migration e1400003 beside the table, not described here:

- SQLite: ``search_fts``, an FTS5 table over ``title``, ``body`` and ``scope`` whose content is the view
  ``search_fts_source`` over this table, kept in step by triggers, so a row written, changed or deleted here is
  indexed in the same transaction. ``scope`` holds the tokens ``m<module id>`` and, for catalogue entries,
  ``catalogue``: a search narrows to what its reader may see inside the full-text index, however many entries other
  modules hold;
- PostgreSQL: the generated column ``search_document`` (a tsvector of :data:`POSTGRES_DOCUMENT`, with the same
  scope as lexemes ``_m<module id>`` and ``_catalogue``, which no text parses to) and its GIN index
  ``ix_search_entries_document``.

Those objects are listed in the table's ``info["companions"]`` (by dialect), which tests/test_migrations.py leaves
out when it compares the models with the migrated schema.
"""
from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coursesite.models_base import Model, one_of

# What a row is: catalogue entries (everyone finds them in published modules) and the module's content (only those
# who may read the module find it). The order is the order of a module's hits on the results page.
CATALOGUE_KINDS = ("module", "speaker")
CONTENT_KINDS = ("cue", "guide", "term", "reference")
SEARCH_KINDS = CATALOGUE_KINDS + CONTENT_KINDS

FTS_TABLE = "search_fts"
FTS_SOURCE = "search_fts_source"
# FTS5 keeps its index in shadow tables named after the virtual table (an external-content table has no _content).
FTS_SHADOW_TABLES = tuple(f"{FTS_TABLE}_{suffix}" for suffix in ("data", "idx", "docsize", "config"))
POSTGRES_COLUMN = "search_document"
POSTGRES_INDEX = "ix_search_entries_document"
POSTGRES_CONFIG = "english"
# The generated column's text part (the scope lexemes are added to it). Angle brackets become spaces: PostgreSQL's
# parser would read "<word>" as a markup tag and leave the word out.
POSTGRES_DOCUMENT = f"to_tsvector('{POSTGRES_CONFIG}'::regconfig, translate((title || ' ' || body), '<>', '  '))"


class SearchEntry(Model):
    __tablename__ = "search_entries"
    __table_args__ = (
        one_of("kind", SEARCH_KINDS),
        Index("ix_search_entries_module_kind", "module_id", "kind"),
        Index("ix_search_entries_kind", "kind"),
        {"info": {"companions": {"sqlite": (FTS_TABLE, *FTS_SHADOW_TABLES, FTS_SOURCE),
                                 "postgresql": (POSTGRES_COLUMN, POSTGRES_INDEX)}}},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer)  # order within the module and kind
    # Where a hit leads: the lecture slug (cue), guide slug (guide), term slug (term), reference key (reference),
    # speaker slug (speaker); ``anchor`` is a guide section's heading id; ``seconds`` a cue's start.
    target: Mapped[str] = mapped_column(String(120), default="")
    anchor: Mapped[str] = mapped_column(String(200), default="")
    seconds: Mapped[float | None] = mapped_column(Float)
    # ``context`` names where the hit is (the lecture's or guide's title); title and body are what is searched.
    context: Mapped[str] = mapped_column(String(300), default="")
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
