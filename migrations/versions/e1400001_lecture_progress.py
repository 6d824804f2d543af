"""learning: lecture_progress, one row per learner and lecture (watched intervals, positions, time on task)

Revision ID: e1400001
Revises: d81e6f3a0c52
Create Date: 2026-12-05 07:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e1400001'
down_revision = 'd81e6f3a0c52'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lecture_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('lecture_id', sa.Integer(), nullable=False),
    sa.Column('intervals', sa.JSON(), nullable=False),
    sa.Column('covered_seconds', sa.Float(), nullable=False),
    sa.Column('last_position', sa.Float(), nullable=False),
    sa.Column('furthest_position', sa.Float(), nullable=False),
    sa.Column('seconds_on_task', sa.Float(), nullable=False),
    sa.Column('first_played_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_played_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_report_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('covered_seconds >= 0', name=op.f('ck_lecture_progress_covered_seconds')),
    sa.CheckConstraint('last_position >= 0', name=op.f('ck_lecture_progress_last_position')),
    sa.CheckConstraint('furthest_position >= 0', name=op.f('ck_lecture_progress_furthest_position')),
    sa.CheckConstraint('seconds_on_task >= 0', name=op.f('ck_lecture_progress_seconds_on_task')),
    sa.ForeignKeyConstraint(['lecture_id'], ['lectures.id'], name=op.f('fk_lecture_progress_lecture_id_lectures'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lecture_progress_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lecture_progress')),
    sa.UniqueConstraint('user_id', 'lecture_id', name=op.f('uq_lecture_progress_user_id'))
    )
    with op.batch_alter_table('lecture_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lecture_progress_lecture_id'), ['lecture_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lecture_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lecture_progress_lecture_id'))

    op.drop_table('lecture_progress')
