"""lead unit on assignments, a covering index for missed reports, list order ending with the id

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 12:20:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild on SQLite); the server default fills existing rows.
    op.add_column('assignments', sa.Column('lead_unit_id', sa.String(length=40), nullable=False, server_default=''))
    op.add_column('assignments', sa.Column('lead_unit_name', sa.String(length=100), nullable=False,
                                           server_default=''))
    # Existing assignments take their lead unit from assignment_units.
    op.execute(
        "UPDATE assignments SET "
        "lead_unit_id = COALESCE((SELECT u.unit_id FROM assignment_units u "
        "WHERE u.item_id = assignments.item_id AND u.role = 'lead' ORDER BY u.position LIMIT 1), ''), "
        "lead_unit_name = COALESCE((SELECT u.unit_name FROM assignment_units u "
        "WHERE u.item_id = assignments.item_id AND u.role = 'lead' ORDER BY u.position LIMIT 1), '')"
    )
    op.drop_index('ix_expected_reports_item_id', table_name='expected_reports')
    op.create_index('ix_expected_reports_item_status_due', 'expected_reports', ['item_id', 'status', 'due_on'])
    # The list order ends with the item id (keyset paging must never tie).
    op.drop_index('ix_assignments_list_order', table_name='assignments')
    op.create_index('ix_assignments_list_order', 'assignments', ['due_date', 'item_no', 'item_id'])


def downgrade() -> None:
    op.drop_index('ix_assignments_list_order', table_name='assignments')
    op.create_index('ix_assignments_list_order', 'assignments', ['due_date', 'item_no'])
    op.drop_index('ix_expected_reports_item_status_due', table_name='expected_reports')
    op.create_index('ix_expected_reports_item_id', 'expected_reports', ['item_id'])
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('lead_unit_name')
        batch_op.drop_column('lead_unit_id')
