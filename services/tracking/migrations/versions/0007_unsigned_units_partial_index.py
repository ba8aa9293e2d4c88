"""a partial index of the units that have not signed their notice (the sweep's urging reads it)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 14:30:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_assignment_units_unsigned', 'assignment_units', ['ack_due_at'],
                    postgresql_where=sa.text('acknowledged_at IS NULL'),
                    sqlite_where=sa.text('acknowledged_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_assignment_units_unsigned', table_name='assignment_units',
                  postgresql_where=sa.text('acknowledged_at IS NULL'),
                  sqlite_where=sa.text('acknowledged_at IS NULL'))
