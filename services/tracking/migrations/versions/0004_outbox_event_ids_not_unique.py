"""outbox event ids not unique

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 11:45:00

"""
from typing import Sequence, Union

from libs.common import migrations

revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    migrations.drop_outbox_event_id_unique()


def downgrade() -> None:
    migrations.restore_outbox_event_id_unique()
