"""learning: the full-text search index (SQLite FTS5 or PostgreSQL tsvector)

Revision ID: e1400003
Revises: e1400002
Create Date: 2026-12-05 07:00:00.000000

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = 'e1400003'
down_revision = 'e1400002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
