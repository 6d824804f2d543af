"""learning: lecture_progress, one row per learner and lecture (watched intervals, positions, time on task)

Revision ID: e1400001
Revises: d81e6f3a0c52
Create Date: 2026-12-05 07:00:00.000000

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = 'e1400001'
down_revision = 'd81e6f3a0c52'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
