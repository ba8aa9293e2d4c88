"""device keys of visits and re-inspections: a tablet's retried sync records each once

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 23:30:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_key', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('fingerprint', sa.String(length=64), nullable=False, server_default=''))
        batch_op.create_unique_constraint('uq_visits_plan_client_key', ['plan_id', 'client_key'])
    with op.batch_alter_table('rectification_rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verification_key', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('verification_fingerprint', sa.String(length=64), nullable=False,
                                      server_default=''))
        batch_op.create_unique_constraint('uq_rectification_rounds_verification_key',
                                          ['finding_id', 'verification_key'])


def downgrade() -> None:
    with op.batch_alter_table('rectification_rounds', schema=None) as batch_op:
        batch_op.drop_constraint('uq_rectification_rounds_verification_key', type_='unique')
        batch_op.drop_column('verification_fingerprint')
        batch_op.drop_column('verification_key')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_constraint('uq_visits_plan_client_key', type_='unique')
        batch_op.drop_column('fingerprint')
        batch_op.drop_column('client_key')
