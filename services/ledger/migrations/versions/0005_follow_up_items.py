"""follow-up items (续办): the item whose completion report carried the leader's new instruction

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 14:45:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('items', sa.Column('follow_up_of', sa.String(length=36), nullable=False, server_default=''))
    op.add_column('items', sa.Column('follow_up_of_no', sa.String(length=60), nullable=False, server_default=''))
    op.create_index('ix_items_follow_up_of', 'items', ['follow_up_of'])


def downgrade() -> None:
    op.drop_index('ix_items_follow_up_of', table_name='items')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('follow_up_of_no')
        batch_op.drop_column('follow_up_of')
