"""supervision notes: tracking's urges, status moves and extension decisions for the 督查情况 column

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 17:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'supervision_notes',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('item_id', sa.String(length=36), nullable=False),
        sa.Column('noted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['item_id'], ['items.id'], name='fk_supervision_notes_item_id_items', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_supervision_notes'),
    )
    op.create_index('ix_supervision_notes_item_id_noted_at', 'supervision_notes', ['item_id', 'noted_at'])


def downgrade() -> None:
    op.drop_index('ix_supervision_notes_item_id_noted_at', table_name='supervision_notes')
    op.drop_table('supervision_notes')
