"""directory contacts and unit heads: how reminders reach a person (mobile, email, 企业微信 and 钉钉 user ids) and
each unit's head (单位负责人); existing rows: none known

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 14:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CONTACTS = (('mobile', 20), ('email', 120), ('wecom_user_id', 64), ('dingtalk_user_id', 64))


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('units', sa.Column('head_person_id', sa.String(length=40), nullable=False, server_default=''))
    for name, length in CONTACTS:
        op.add_column('people', sa.Column(name, sa.String(length=length), nullable=False, server_default=''))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('people', schema=None) as batch_op:
        for name, _ in CONTACTS:
            batch_op.drop_column(name)
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('head_person_id')
