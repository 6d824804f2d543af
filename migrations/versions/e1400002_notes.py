"""learning: notes, a learner's private time-stamped notes on lectures

Revision ID: e1400002
Revises: e1400001
Create Date: 2026-12-05 07:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e1400002'
down_revision = 'e1400001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('lecture_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Float(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('position >= 0', name=op.f('ck_notes_position')),
    sa.ForeignKeyConstraint(['lecture_id'], ['lectures.id'], name=op.f('fk_notes_lecture_id_lectures'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notes'))
    )
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notes_lecture_id'), ['lecture_id'], unique=False)
        batch_op.create_index('ix_notes_user_id_lecture_id', ['user_id', 'lecture_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.drop_index('ix_notes_user_id_lecture_id')
        batch_op.drop_index(batch_op.f('ix_notes_lecture_id'))

    op.drop_table('notes')
