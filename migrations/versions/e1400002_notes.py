"""learning: notes, a learner's private time-stamped notes on lectures

Revision ID: e1400002
Revises: e1400001
Create Date: 2026-12-05 07:00:00.000000

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = 'e1400002'
down_revision = 'e1400001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
