"""closed items await no report: their expected reports still 'expected' become 'cancelled'

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 17:10:00

"""
from typing import Sequence, Union

from alembic import op

revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # What the signature now does (domain.cancel_owed_reports), for the items closed before it did.
    op.execute("UPDATE expected_reports SET status = 'cancelled' WHERE status = 'expected' AND item_id IN "
               "(SELECT item_id FROM assignments WHERE status IN ('closed', 'archived'))")


def downgrade() -> None:
    op.execute("UPDATE expected_reports SET status = 'expected' WHERE status = 'cancelled'")
