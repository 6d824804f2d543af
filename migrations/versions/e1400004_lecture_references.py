"""catalogue: which references each lecture cites (lecture_references)

Revision ID: e1400004
Revises: e1400003
Create Date: 2026-12-05 07:00:00.000000

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = 'e1400004'
down_revision = 'e1400003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
