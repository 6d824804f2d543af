"""assessment and catalogue: approvals, sponsor, quiz settings, attempts and answers

Revision ID: e1500001
Revises: e1400004
Create Date: 2026-12-05 07:00:00.000000

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = 'e1500001'
down_revision = 'e1400004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
