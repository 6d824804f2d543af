"""learning: the full-text search index (SQLite FTS5 or PostgreSQL tsvector)

Revision ID: e1400003
Revises: e1400002
Create Date: 2026-12-05 07:00:00.000000

``search_entries`` is the same on every database; the full-text index over it is the database's own (see
coursesite/learning/search_models.py): an FTS5 table over a view of it, kept in step by triggers, on SQLite; a
generated tsvector column with a GIN index on PostgreSQL. The index starts empty: the next content import (or ``flask demo load``)
fills it.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e1400003'
down_revision = 'e1400002'
branch_labels = None
depends_on = None

KINDS = ('module', 'speaker', 'cue', 'guide', 'term', 'reference')

# The scope tokens: "m<module id>" for every entry, "catalogue" too for what everyone may find.
SCOPE = "(CASE WHEN {row}.kind IN ('module', 'speaker') THEN 'catalogue ' ELSE '' END) || 'm' || {row}.module_id"
SCOPES = {row: SCOPE.format(row=row) for row in ("search_entries", "new", "old")}
INSERT = "INSERT INTO search_fts(rowid, title, body, scope) VALUES (new.id, new.title, new.body, {new}); "
DELETE = ("INSERT INTO search_fts(search_fts, rowid, title, body, scope) "
          "VALUES ('delete', old.id, old.title, old.body, {old}); ")
SQLITE_UP = [
    "CREATE VIEW search_fts_source AS SELECT id, title, body, {search_entries} AS scope FROM search_entries",
    ("CREATE VIRTUAL TABLE search_fts USING fts5(title, body, scope, content='search_fts_source', "
     "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"),
    "CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN " + INSERT + "END",
    "CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN " + DELETE + "END",
    "CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN " + DELETE + INSERT + "END",
]
SQLITE_DOWN = [
    "DROP TRIGGER search_entries_au",
    "DROP TRIGGER search_entries_ad",
    "DROP TRIGGER search_entries_ai",
    "DROP TABLE search_fts",
    "DROP VIEW search_fts_source",
]
# A stored tsvector, so neither the search nor the ranking parses a row's text again, with the scope lexemes
# "_m<module id>" and "_catalogue" (no text parses to a lexeme starting with "_"), so the GIN index narrows a search
# to what its reader may see.
POSTGRES_UP = [
    ("ALTER TABLE search_entries ADD COLUMN search_document tsvector GENERATED ALWAYS AS "
     "(to_tsvector('english'::regconfig, translate((title || ' ' || body), '<>', '  ')) || array_to_tsvector("
     "CASE WHEN kind IN ('module', 'speaker') THEN ARRAY['_catalogue', '_m' || module_id] "
     "ELSE ARRAY['_m' || module_id] END)) STORED"),
    "CREATE INDEX ix_search_entries_document ON search_entries USING gin (search_document)",
]
POSTGRES_DOWN = ["DROP INDEX ix_search_entries_document", "ALTER TABLE search_entries DROP COLUMN search_document"]


def upgrade() -> None:
    op.create_table(
        'search_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('module_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('target', sa.String(length=120), nullable=False),
        sa.Column('anchor', sa.String(length=200), nullable=False),
        sa.Column('seconds', sa.Float(), nullable=True),
        sa.Column('context', sa.String(length=300), nullable=False),
        sa.Column('title', sa.String(length=500), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.CheckConstraint(f"kind IN {KINDS!r}", name='kind'),
        sa.ForeignKeyConstraint(['module_id'], ['modules.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_search_entries_module_kind', 'search_entries', ['module_id', 'kind'], unique=False)
    op.create_index('ix_search_entries_kind', 'search_entries', ['kind'], unique=False)
    statements = SQLITE_UP if op.get_bind().dialect.name == 'sqlite' else POSTGRES_UP
    for statement in statements:
        op.execute(statement.format(**SCOPES) if statement.startswith("CREATE") else statement)


def downgrade() -> None:
    statements = SQLITE_DOWN if op.get_bind().dialect.name == 'sqlite' else POSTGRES_DOWN
    for statement in statements:
        op.execute(statement)
    op.drop_index('ix_search_entries_kind', table_name='search_entries')
    op.drop_index('ix_search_entries_module_kind', table_name='search_entries')
    op.drop_table('search_entries')
