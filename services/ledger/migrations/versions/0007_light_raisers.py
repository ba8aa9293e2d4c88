"""light raisers: tracking's open obligations of an item (expected reports), for the one light

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 11:40:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'light_raisers',
        sa.Column('item_id', sa.String(length=36), nullable=False),
        sa.Column('source', sa.String(length=40), nullable=False),
        sa.Column('ref_id', sa.String(length=64), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['item_id'], ['items.id'], name='fk_light_raisers_item_id_items', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('item_id', 'source', 'ref_id', name='pk_light_raisers'),
    )


def downgrade() -> None:
    op.drop_table('light_raisers')
