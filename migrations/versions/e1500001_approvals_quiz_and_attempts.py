"""assessment and catalogue: approvals, sponsor, quiz settings, attempts and answers

Revision ID: e1500001
Revises: e1400004
Create Date: 2026-12-05 07:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e1500001'
down_revision = 'e1400004'
branch_labels = None
depends_on = None

APPROVING_BODIES = ('APA', 'ASWB ACE', 'NBCC')
SHOW_ANSWERS = ('after_pass', 'after_last_attempt', 'never')
ATTEMPT_STATUSES = ('in_progress', 'graded')


def upgrade() -> None:
    with op.batch_alter_table('modules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offers_certificate', sa.Boolean(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('sponsor_name', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('sponsor_contact', sa.String(length=500), server_default='', nullable=False))
        batch_op.add_column(sa.Column('signatory_name', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('signatory_title', sa.String(length=200), server_default='', nullable=False))

    with op.batch_alter_table('quiz_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shuffle_options', sa.Boolean(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('show_answers', sa.String(length=20), server_default='after_last_attempt',
                                      nullable=False))
        batch_op.add_column(sa.Column('cooloff_days', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_quiz_settings_show_answers'), f"show_answers IN {SHOW_ANSWERS!r}")

    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lecture_slug', sa.String(length=80), server_default='', nullable=False))

    op.create_table(
        'approvals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('module_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('body', sa.String(length=20), nullable=False),
        sa.Column('statement', sa.Text(), nullable=False),
        sa.Column('provider_number', sa.String(length=80), nullable=False),
        sa.Column('approval_period', sa.String(length=120), nullable=False),
        sa.Column('credits', sa.Float(), nullable=False),
        sa.CheckConstraint(f"body IN {APPROVING_BODIES!r}", name=op.f('ck_approvals_body')),
        sa.CheckConstraint('credits > 0', name=op.f('ck_approvals_credits')),
        sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_approvals_module_id_modules'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_approvals')),
        sa.UniqueConstraint('module_id', 'body', name=op.f('uq_approvals_module_id')),
    )
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approvals_module_id'), ['module_id'], unique=False)

    op.create_table(
        'attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('module_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('pass_percent', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('deadline', sa.DateTime(timezone=True), nullable=True),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('score', sa.Integer(), nullable=True),
        sa.Column('passed', sa.Boolean(), nullable=True),
        sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('voided_reason', sa.String(length=200), server_default='', nullable=False),
        sa.CheckConstraint(f"status IN {ATTEMPT_STATUSES!r}", name=op.f('ck_attempts_status')),
        sa.CheckConstraint('score IS NULL OR (score >= 0 AND score <= 100)', name=op.f('ck_attempts_score')),
        sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_attempts_module_id_modules'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_attempts_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attempts')),
        sa.UniqueConstraint('user_id', 'module_id', 'number', name=op.f('uq_attempts_user_id')),
    )
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.create_index('ix_attempts_module_id_user_id', ['module_id', 'user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempts_user_id'), ['user_id'], unique=False)

    op.create_table(
        'attempt_questions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('attempt_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('choice_order', sa.JSON(), nullable=False),
        sa.Column('selected_choice_id', sa.Integer(), nullable=True),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('correct', sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_attempt_questions_attempt_id_attempts'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['question_id'], ['questions.id'],
                                name=op.f('fk_attempt_questions_question_id_questions'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['selected_choice_id'], ['choices.id'],
                                name=op.f('fk_attempt_questions_selected_choice_id_choices'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attempt_questions')),
        sa.UniqueConstraint('attempt_id', 'question_id', name=op.f('uq_attempt_questions_attempt_id')),
        sa.UniqueConstraint('position', 'attempt_id', name=op.f('uq_attempt_questions_position')),
    )
    with op.batch_alter_table('attempt_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_questions_question_id'), ['question_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempt_questions_selected_choice_id'), ['selected_choice_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('attempt_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempt_questions_selected_choice_id'))
        batch_op.drop_index(batch_op.f('ix_attempt_questions_question_id'))
    op.drop_table('attempt_questions')
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempts_user_id'))
        batch_op.drop_index('ix_attempts_module_id_user_id')
    op.drop_table('attempts')
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approvals_module_id'))
    op.drop_table('approvals')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('lecture_slug')
    with op.batch_alter_table('quiz_settings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_quiz_settings_show_answers'), type_='check')
        batch_op.drop_column('cooloff_days')
        batch_op.drop_column('show_answers')
        batch_op.drop_column('shuffle_options')
    with op.batch_alter_table('modules', schema=None) as batch_op:
        batch_op.drop_column('signatory_title')
        batch_op.drop_column('signatory_name')
        batch_op.drop_column('sponsor_contact')
        batch_op.drop_column('sponsor_name')
        batch_op.drop_column('offers_certificate')
