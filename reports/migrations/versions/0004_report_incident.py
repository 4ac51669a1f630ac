"""reports.incident_id: reports on the same category and place within a few hours are one incident

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('incident_id', sa.String(length=36), nullable=True))
        batch_op.create_index('ix_reports_incident_id', ['incident_id'])


def downgrade() -> None:
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index('ix_reports_incident_id')
        batch_op.drop_column('incident_id')
