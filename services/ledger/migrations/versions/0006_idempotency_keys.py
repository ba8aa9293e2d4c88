"""idempotency keys of the write RPCs (shared runtime table)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 09:00:00

"""
from typing import Sequence, Union

from libs.common import migrations

revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    migrations.create_idempotency_keys()


def downgrade() -> None:
    migrations.drop_idempotency_keys()
