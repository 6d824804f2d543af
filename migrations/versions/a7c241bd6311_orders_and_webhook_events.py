"""orders, webhook events, renewal reminders, test-mode sessions

Revision ID: a7c241bd6311
Revises: 2425264b6d45
Create Date: 2026-11-22 02:40:49.788534

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7c241bd6311'
down_revision = '2425264b6d45'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('test_mode_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('order_reference', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('payment_status', sa.String(length=20), nullable=False),
    sa.Column('payment_intent', sa.String(length=64), nullable=True),
    sa.Column('success_url', sa.String(length=500), nullable=False),
    sa.Column('cancel_url', sa.String(length=500), nullable=False),
    sa.Column('collect_billing_address', sa.Boolean(), nullable=False),
    sa.Column('customer_name', sa.String(length=200), nullable=False),
    sa.Column('customer_address', sa.JSON(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('line_items', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_test_mode_sessions')),
    sa.UniqueConstraint('order_reference', name=op.f('uq_test_mode_sessions_order_reference')),
    sa.UniqueConstraint('payment_intent', name=op.f('uq_test_mode_sessions_payment_intent'))
    )
    op.create_table('webhook_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stripe_event_id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=80), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_events')),
    sa.UniqueConstraint('stripe_event_id', name=op.f('uq_webhook_events_stripe_event_id'))
    )
    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount_subtotal', sa.Integer(), nullable=False),
    sa.Column('amount_discount', sa.Integer(), nullable=False),
    sa.Column('amount_total', sa.Integer(), nullable=False),
    sa.Column('amount_refunded', sa.Integer(), nullable=False),
    sa.Column('stripe_checkout_session_id', sa.String(length=255), nullable=True),
    sa.Column('stripe_payment_intent_id', sa.String(length=255), nullable=True),
    sa.Column('organisation_name', sa.String(length=200), nullable=False),
    sa.Column('billing_name', sa.String(length=200), nullable=False),
    sa.Column('billing_address', sa.JSON(), nullable=False),
    sa.Column('failure_reason', sa.String(length=300), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_orders_module_id_modules'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_orders_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('reference', name=op.f('uq_orders_reference')),
    sa.UniqueConstraint('stripe_checkout_session_id', name=op.f('uq_orders_stripe_checkout_session_id')),
    sa.UniqueConstraint('stripe_payment_intent_id', name=op.f('uq_orders_stripe_payment_intent_id'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_module_id'), ['module_id'], unique=False)
        batch_op.create_index('ix_orders_user_created', ['user_id', 'created_at'], unique=False)

    op.create_table('renewal_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('access_ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('days_before', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_renewal_reminders_module_id_modules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_renewal_reminders_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_renewal_reminders')),
    sa.UniqueConstraint('user_id', 'module_id', 'access_ends_at', 'days_before', name=op.f('uq_renewal_reminders_user_id'))
    )
    with op.batch_alter_table('renewal_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_renewal_reminders_module_id'), ['module_id'], unique=False)

    op.create_table('order_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('tier_id', sa.Integer(), nullable=True),
    sa.Column('tier_code', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('grants', sa.String(length=20), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_amount', sa.Integer(), nullable=False),
    sa.Column('access_days', sa.Integer(), nullable=False),
    sa.Column('amount_total', sa.Integer(), nullable=False),
    sa.Column('units_refunded', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_lines_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tier_id'], ['price_tiers.id'], name=op.f('fk_order_lines_tier_id_price_tiers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_lines')),
    sa.UniqueConstraint('order_id', 'position', name=op.f('uq_order_lines_order_id'))
    )
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_lines_tier_id'), ['tier_id'], unique=False)



def downgrade():
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_lines_tier_id'))

    op.drop_table('order_lines')
    with op.batch_alter_table('renewal_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_renewal_reminders_module_id'))

    op.drop_table('renewal_reminders')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_user_created')
        batch_op.drop_index(batch_op.f('ix_orders_module_id'))

    op.drop_table('orders')
    op.drop_table('webhook_events')
    op.drop_table('test_mode_sessions')
