"""seed the content revision row

Imports lock this row as their first write, so it must exist before the first import: two first imports racing to
insert it would otherwise both fail.

Revision ID: b5e1c0a9d2f4
Revises: a7c241bd6311
Create Date: 2026-11-22 03:20:00

"""
from alembic import op

revision = "b5e1c0a9d2f4"
down_revision = "a7c241bd6311"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("INSERT INTO content_revision (id, number) SELECT 1, 0 WHERE NOT EXISTS "
               "(SELECT 1 FROM content_revision WHERE id = 1)")


def downgrade():
    op.execute("DELETE FROM content_revision WHERE id = 1")
