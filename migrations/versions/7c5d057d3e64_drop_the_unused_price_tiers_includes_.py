"""drop the unused price_tiers.includes_certificate

What a tier grants is ``grants`` (access, certificate or seats); the flag was never set or read.

Revision ID: 7c5d057d3e64
Revises: b5e1c0a9d2f4
Create Date: 2026-11-22 03:31:57.196336

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7c5d057d3e64'
down_revision = 'b5e1c0a9d2f4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('price_tiers', schema=None) as batch_op:
        batch_op.drop_column('includes_certificate')


def downgrade():
    with op.batch_alter_table('price_tiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('includes_certificate', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
