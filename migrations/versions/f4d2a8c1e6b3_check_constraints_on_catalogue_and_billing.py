"""check constraints on catalogue and billing values

The importer and the services already refuse these values; the database now refuses them too, so a bad row from a
shell or a future bug cannot reach a public page (an unknown lecture kind has no label) or a receipt.

Revision ID: f4d2a8c1e6b3
Revises: c3f1a9e2b7d4
Create Date: 2026-12-02 05:05:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f4d2a8c1e6b3'
down_revision = 'c3f1a9e2b7d4'
branch_labels = None
depends_on = None

LECTURE_KINDS = ('video_lecture', 'audio_lecture', 'interview', 'conversation')
LEVELS = ('introductory', 'intermediate', 'advanced')
TIER_GRANTS = ('access', 'certificate', 'seats')
ENTITLEMENT_KINDS = ('access', 'certificate')
ENTITLEMENT_SOURCES = ('order', 'seat', 'grant')
ORDER_STATUSES = ('pending', 'paid', 'refunded', 'partially_refunded', 'charged_back', 'expired', 'failed')

CHECKS = {
    'modules': {
        'level': f"level IN {LEVELS!r}",
        'ce_hours': "ce_hours > 0",
    },
    'lectures': {
        'kind': f"kind IN {LECTURE_KINDS!r}",
        'duration_seconds': "duration_seconds >= 0",
    },
    'price_tiers': {
        'unit_amount': "unit_amount >= 0",
        'quantity': "min_quantity >= 1 AND max_quantity >= min_quantity",
        'access_days': "access_days >= 1",
        'grants': f"grants IN {TIER_GRANTS!r}",
    },
    'entitlements': {
        'kind': f"kind IN {ENTITLEMENT_KINDS!r}",
        'source': f"source IN {ENTITLEMENT_SOURCES!r}",
        'window': "valid_until >= valid_from",
    },
    'orders': {
        'status': f"status IN {ORDER_STATUSES!r}",
        'amounts': "amount_subtotal >= 0 AND amount_discount >= 0 AND amount_total >= 0 AND amount_refunded >= 0",
    },
    'order_lines': {
        'amounts': "quantity >= 1 AND unit_amount >= 0 AND amount_total >= 0",
        'units_refunded': "units_refunded >= 0 AND units_refunded <= quantity",
    },
}


def upgrade():
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, condition in checks.items():
                batch_op.create_check_constraint(op.f(f'ck_{table}_{name}'), condition)


def downgrade():
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in checks:
                batch_op.drop_constraint(op.f(f'ck_{table}_{name}'), type_='check')
