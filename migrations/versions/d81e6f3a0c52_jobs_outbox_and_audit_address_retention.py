"""jobs: the background jobs' outbox; audit events may lose their client address

- ``jobs``: one row per background job (every mail), added in the transaction that causes it (coursesite/jobs).
- The append-only triggers of ``audit_events`` (migration c3f1a9e2b7d4) now let exactly one UPDATE through: one that
  sets ``ip_address`` to NULL and changes nothing else (the retention job, ``AUDIT_IP_RETENTION_DAYS``). Every other
  UPDATE, DELETE and (PostgreSQL) TRUNCATE is still refused.

Revision ID: d81e6f3a0c52
Revises: f4d2a8c1e6b3
Create Date: 2026-12-03 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd81e6f3a0c52'
down_revision = 'f4d2a8c1e6b3'
branch_labels = None
depends_on = None

JOB_STATUSES = ('pending', 'running', 'done', 'failed')
APPEND_ONLY_MESSAGE = "audit events are append-only"

POSTGRES_FUNCTION = """CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {allowance}RAISE EXCEPTION '{message}: % refused', TG_OP;
    END
    $$"""
POSTGRES_ALLOWANCE = """IF TG_OP = 'UPDATE' THEN
            IF NEW.ip_address IS NULL AND (to_jsonb(NEW) - 'ip_address') = (to_jsonb(OLD) - 'ip_address') THEN
                RETURN NEW;
            END IF;
        END IF;
        """
# Every column but ip_address unchanged (IS compares NULLs as equal).
SQLITE_UNCHANGED = " AND ".join(f"NEW.{column} IS OLD.{column}"
                                for column in ('id', 'at', 'actor_id', 'action', 'target', 'details'))
SQLITE_UPDATE_TRIGGER = ("CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events {when}"
                         f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}: UPDATE refused'); END")


def _set_audit_triggers(allow_forgetting_addresses: bool) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        allowance = POSTGRES_ALLOWANCE if allow_forgetting_addresses else ""
        op.execute(POSTGRES_FUNCTION.format(allowance=allowance, message=APPEND_ONLY_MESSAGE))
    elif dialect == 'sqlite':
        when = f"WHEN NOT (NEW.ip_address IS NULL AND {SQLITE_UNCHANGED}) " if allow_forgetting_addresses else ""
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute(SQLITE_UPDATE_TRIGGER.format(when=when))


def upgrade():
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('request_id', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint(f"status IN {JOB_STATUSES!r}", name=op.f('ck_jobs_status')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_jobs_attempts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    sa.UniqueConstraint('key', name=op.f('uq_jobs_key'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_status_run_after', ['status', 'run_after'], unique=False)

    _set_audit_triggers(allow_forgetting_addresses=True)


def downgrade():
    _set_audit_triggers(allow_forgetting_addresses=False)

    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_status_run_after')

    op.drop_table('jobs')
