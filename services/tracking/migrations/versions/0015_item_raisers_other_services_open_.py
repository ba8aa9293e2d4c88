"""item raisers: other services' open obligations of an item, for its light

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 20:02:04.934177

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Replaced per (item, source) by item.raisers_changed of another service (inspection's
    # rectifications); no foreign key: an item's raisers may arrive before its registration.
    op.create_table('item_raisers',
    sa.Column('item_id', sa.String(length=36), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('ref_id', sa.String(length=64), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('item_id', 'source', 'ref_id', name=op.f('pk_item_raisers'))
    )


def downgrade() -> None:
    op.drop_table('item_raisers')
