"""ended sessions: logout ends a web session on the server too

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 12:40:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'ended_sessions',
        sa.Column('sid', sa.String(length=64), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('sid', name='pk_ended_sessions'),
    )
    op.create_index('ix_ended_sessions_expires_at', 'ended_sessions', ['expires_at'])


def downgrade() -> None:
    op.drop_index('ix_ended_sessions_expires_at', table_name='ended_sessions')
    op.drop_table('ended_sessions')
