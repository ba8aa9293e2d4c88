"""each assignment's move count, carried by item.status_changed so readers can order its moves

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 14:10:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('assignments', sa.Column('status_seq', sa.Integer(), nullable=False, server_default='0'))
    # An item that has moved counts as having moved once: above the 0 the ledger's migration gives every
    # copy, so `announce-statuses` (run once after the upgrade) brings each copy to its item's status,
    # and every later move counts on from here.
    op.execute("UPDATE assignments SET status_seq = 1 WHERE status <> 'awaiting_notice'")


def downgrade() -> None:
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('status_seq')
