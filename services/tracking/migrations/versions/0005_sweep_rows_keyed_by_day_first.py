"""sweep rows keyed by day first

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 11:55:00

Overdue marks and urges are written by the tens of thousands per sweep and read by day; with the day
first in their keys a sweep appends to one end of each index instead of writing at random places.
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('overdue_marks', recreate='always') as batch_op:
        batch_op.drop_constraint('pk_overdue_marks', type_='primary')
        batch_op.create_primary_key('pk_overdue_marks', ['day', 'item_id'])
    with op.batch_alter_table('urges', schema=None) as batch_op:
        batch_op.drop_index('ix_urges_day')
        batch_op.drop_index('ix_urges_item_id')
        batch_op.drop_constraint('uq_urges_once_a_day', type_='unique')
        batch_op.create_unique_constraint('uq_urges_once_a_day', ['day', 'item_id', 'unit_id', 'reason',
                                                                  'expected_report_id'])


def downgrade() -> None:
    with op.batch_alter_table('urges', schema=None) as batch_op:
        batch_op.drop_constraint('uq_urges_once_a_day', type_='unique')
        batch_op.create_unique_constraint('uq_urges_once_a_day', ['item_id', 'unit_id', 'reason',
                                                                  'expected_report_id', 'day'])
        batch_op.create_index('ix_urges_item_id', ['item_id'], unique=False)
        batch_op.create_index('ix_urges_day', ['day'], unique=False)
    with op.batch_alter_table('overdue_marks', recreate='always') as batch_op:
        batch_op.drop_constraint('pk_overdue_marks', type_='primary')
        batch_op.create_primary_key('pk_overdue_marks', ['item_id', 'day'])
