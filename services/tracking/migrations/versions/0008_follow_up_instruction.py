"""the new instruction (新的批示) a leader gives when signing the completion report

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 14:40:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('assignments', sa.Column('follow_up', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('follow_up')
