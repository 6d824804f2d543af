"""catalogue: which references each lecture cites (lecture_references)

Revision ID: e1400004
Revises: e1400003
Create Date: 2026-12-05 07:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e1400004'
down_revision = 'e1400003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'lecture_references',
        sa.Column('lecture_id', sa.Integer(), nullable=False),
        sa.Column('reference_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['lecture_id'], ['lectures.id'],
                                name=op.f('fk_lecture_references_lecture_id_lectures'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['reference_id'], ['references.id'],
                                name=op.f('fk_lecture_references_reference_id_references'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('lecture_id', 'reference_id', name=op.f('pk_lecture_references')),
    )
    with op.batch_alter_table('lecture_references', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lecture_references_reference_id'), ['reference_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lecture_references', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lecture_references_reference_id'))
    op.drop_table('lecture_references')
