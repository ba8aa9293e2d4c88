"""one status vocabulary: the item's status is tracking's, with the seq of the event it came from

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 14:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The ledger's former words and tracking's word for the same stage (closed and archived are the same
# words in both). A migration keeps its own copy: the vocabulary module may change after it.
FORMER = {'registered': 'awaiting_notice', 'assigned': 'notified'}
# Back again: every open stage after the notice was the ledger's "assigned".
BACK = {'awaiting_notice': 'registered', 'notified': 'assigned', 'in_progress': 'assigned',
        'replied': 'assigned', 'completion_filled': 'assigned'}


def upgrade() -> None:
    # 0: below every seq tracking gives, so tracking's `announce-statuses` after the upgrade brings the
    # rows whose item went further than "assigned" told the ledger (in progress, replied, to be closed).
    op.add_column('items', sa.Column('status_seq', sa.Integer(), nullable=False, server_default='0'))
    items = sa.table('items', sa.column('status', sa.String))
    for old, new in FORMER.items():
        op.execute(items.update().where(items.c.status == old).values(status=new))


def downgrade() -> None:
    items = sa.table('items', sa.column('status', sa.String))
    for new, old in BACK.items():
        op.execute(items.update().where(items.c.status == new).values(status=old))
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('status_seq')
