"""assessment: course evaluations and accommodation requests

An evaluation per passed attempt (``attempt_id`` unique), kept as the sponsor's record: the account's deletion sets
``user_id`` NULL, and the module cannot be deleted while it has evaluations. Accommodation requests belong to the
learner and go with the account.

Revision ID: e1500002
Revises: e1500001
Create Date: 2026-12-05 07:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e1500002'
down_revision = 'e1500001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('evaluations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=True),
    sa.Column('objective_ratings', sa.JSON(), nullable=False),
    sa.Column('lecture_ratings', sa.JSON(), nullable=False),
    sa.Column('speaker_ratings', sa.JSON(), nullable=False),
    sa.Column('relevance', sa.Integer(), nullable=False),
    sa.Column('free_of_commercial_bias', sa.Boolean(), nullable=False),
    sa.Column('overall', sa.Integer(), nullable=False),
    sa.Column('comments', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('relevance BETWEEN 1 AND 5', name=op.f('ck_evaluations_relevance')),
    sa.CheckConstraint('overall BETWEEN 1 AND 5', name=op.f('ck_evaluations_overall')),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_evaluations_attempt_id_attempts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_evaluations_module_id_modules'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_evaluations_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluations')),
    sa.UniqueConstraint('attempt_id', name=op.f('uq_evaluations_attempt_id'))
    )
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluations_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluations_module_id'), ['module_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluations_user_id'), ['user_id'], unique=False)

    op.create_table('accommodation_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('needs', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('open', 'handled')", name=op.f('ck_accommodation_requests_status')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'], name=op.f('fk_accommodation_requests_handled_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_accommodation_requests_module_id_modules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_accommodation_requests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accommodation_requests'))
    )
    with op.batch_alter_table('accommodation_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accommodation_requests_module_id'), ['module_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_accommodation_requests_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('accommodation_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accommodation_requests_user_id'))
        batch_op.drop_index(batch_op.f('ix_accommodation_requests_module_id'))

    op.drop_table('accommodation_requests')
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluations_user_id'))
        batch_op.drop_index(batch_op.f('ix_evaluations_module_id'))
        batch_op.drop_index(batch_op.f('ix_evaluations_created_at'))

    op.drop_table('evaluations')
