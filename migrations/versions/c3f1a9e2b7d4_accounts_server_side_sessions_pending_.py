"""accounts: server-side login sessions, pending email change, append-only audit

- ``user_sessions``: one row per login (the browser holds a random token, the row its SHA-256); logout, password
  changes and deletion revoke rows, so a copied session or remember-me cookie stops working.
- ``users.session_token`` goes: the rows replace it.
- ``users.pending_email`` / ``pending_email_nonce``: only the latest email-change link works, once.
- Triggers refuse UPDATE and DELETE (and, on PostgreSQL, TRUNCATE) on ``audit_events``. NOTE: on SQLite a later
  ``batch_alter_table('audit_events')`` recreates the table and loses them: such a migration must recreate them.

Revision ID: c3f1a9e2b7d4
Revises: b471af22abe0
Create Date: 2026-12-02 09:00:00.000000

"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c3f1a9e2b7d4'
down_revision = 'b471af22abe0'
branch_labels = None
depends_on = None

APPEND_ONLY_MESSAGE = "audit events are append-only"

POSTGRES_UP = [
    f"""CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}: % refused', TG_OP;
    END
    $$""",
    ("CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
     "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"),
    ("CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
     "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"),
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events",
    "DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events",
    "DROP FUNCTION IF EXISTS audit_events_append_only()",
]
SQLITE_UP = [
    ("CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
     f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}: UPDATE refused'); END"),
    ("CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
     f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}: DELETE refused'); END"),
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_events_no_delete",
    "DROP TRIGGER IF EXISTS audit_events_no_update",
]


def _dialect() -> str:
    return op.get_bind().dialect.name


def upgrade():
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('user_agent', sa.String(length=200), nullable=False),
    sa.Column('ip_address', sa.String(length=45), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    # Plain ALTER TABLE (SQLite >= 3.35 drops columns natively): recreating ``users`` would have SQLite delete the
    # rows other tables point at first.
    with op.batch_alter_table('users', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('pending_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('pending_email_nonce', sa.String(length=32), nullable=True))
        batch_op.drop_column('session_token')

    for statement in POSTGRES_UP if _dialect() == 'postgresql' else SQLITE_UP if _dialect() == 'sqlite' else []:
        op.execute(statement)


def downgrade():
    for statement in POSTGRES_DOWN if _dialect() == 'postgresql' else SQLITE_DOWN if _dialect() == 'sqlite' else []:
        op.execute(statement)

    # NOT NULL with a default, so SQLite can add it without recreating ``users`` (see upgrade).
    with op.batch_alter_table('users', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=False, server_default=''))
        batch_op.drop_column('pending_email_nonce')
        batch_op.drop_column('pending_email')

    # Every user gets a random session token of their own again (which ends their sessions, as the rows go).
    users = sa.table('users', sa.column('id', sa.Integer()), sa.column('session_token', sa.String()))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(users.update().where(users.c.id == user_id)
                           .values(session_token=secrets.token_urlsafe(24)))
    if _dialect() != 'sqlite':
        op.alter_column('users', 'session_token', existing_type=sa.String(length=64), server_default=None)

    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))

    op.drop_table('user_sessions')
