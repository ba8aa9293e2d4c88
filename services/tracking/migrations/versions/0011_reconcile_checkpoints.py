"""reconciliation checkpoints (what each consumer has checked of its sources' retained outboxes)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 11:30:00

"""
from typing import Sequence, Union

from libs.common import migrations

revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    migrations.create_reconcile_checkpoints()


def downgrade() -> None:
    migrations.drop_reconcile_checkpoints()
