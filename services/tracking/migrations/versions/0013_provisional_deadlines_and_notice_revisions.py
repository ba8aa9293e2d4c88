"""provisional deadlines followed from the ledger; notices revised when the published calendar moves them

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 17:20:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Existing assignments start as final; the ledger's recompute event for a provisional one carries
    # its flag (and its new deadline) when the year's table is installed.
    op.add_column('assignments', sa.Column('due_date_provisional', sa.Boolean(), nullable=False,
                                           server_default=sa.false()))
    op.add_column('assignments', sa.Column('notice_fields', sa.Text(), nullable=False, server_default=''))
    op.create_table(
        'notice_revisions',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('item_id', sa.String(length=36), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('old_due_date', sa.Date(), nullable=False),
        sa.Column('new_due_date', sa.Date(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('calendar_years', sa.String(length=40), nullable=False),
        sa.Column('notice_key', sa.String(length=200), nullable=False),
        sa.Column('previous_notice_key', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['item_id'], ['assignments.item_id'],
                                name=op.f('fk_notice_revisions_item_id_assignments'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_revisions')),
    )
    op.create_index(op.f('ix_notice_revisions_item_id'), 'notice_revisions', ['item_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_notice_revisions_item_id'), table_name='notice_revisions')
    op.drop_table('notice_revisions')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('notice_fields')
        batch_op.drop_column('due_date_provisional')
