"""the office's own 催办 (phone or written), recorded on the item

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 15:05:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'office_urges',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('item_id', sa.String(length=36), nullable=False),
        sa.Column('unit_id', sa.String(length=40), nullable=False),
        sa.Column('unit_name', sa.String(length=100), nullable=False),
        sa.Column('method', sa.String(length=20), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('by', sa.String(length=200), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['item_id'], ['assignments.item_id'],
                                name=op.f('fk_office_urges_item_id_assignments'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_office_urges')),
    )
    op.create_index(op.f('ix_office_urges_item_id'), 'office_urges', ['item_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_office_urges_item_id'), table_name='office_urges')
    op.drop_table('office_urges')
