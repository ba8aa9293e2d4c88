"""assessment year (考核年度) of every item, existing rows backfilled with their registration year; the years the
evaluation service froze (frozen_years, filled from its year.frozen events)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 19:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0016'
down_revision: Union[str, Sequence[str], None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # The server default only fills the rows of the moment; the update below gives each its year (the
    # ledger always writes the column itself).
    op.add_column('items', sa.Column('assessment_year', sa.Integer(), nullable=False, server_default='0'))
    items = sa.table('items', sa.column('registered_on', sa.Date()), sa.column('assessment_year', sa.Integer()))
    op.execute(items.update().values(assessment_year=sa.cast(sa.extract('year', items.c.registered_on), sa.Integer())))
    op.create_table(
        'frozen_years',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('as_of', sa.String(length=10), nullable=False),
        sa.Column('frozen_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('frozen_by', sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint('year', name=op.f('pk_frozen_years')),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('frozen_years')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('assessment_year')
