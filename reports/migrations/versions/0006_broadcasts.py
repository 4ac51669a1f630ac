"""subscriptions and broadcasts: awareness news from a centre to its members and subscribed villagers

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

from reports.models import UTCDateTime

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'subscriptions',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('reporter_id', sa.String(length=16), sa.ForeignKey('reporters.id'), nullable=False, unique=True),
        sa.Column('district_code', sa.String(length=4), nullable=False, index=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('ended_at', UTCDateTime(), nullable=True),
    )
    op.create_table(
        'broadcasts',
        sa.Column('id', sa.String(length=12), primary_key=True),
        sa.Column('center_id', sa.String(length=32), nullable=False, index=True),
        sa.Column('texts', sa.JSON(), nullable=False),
        sa.Column('audience', sa.String(length=16), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
    )
    op.create_table(
        'broadcast_sends',
        sa.Column('id', sa.String(length=80), primary_key=True),
        sa.Column('broadcast_id', sa.String(length=12), sa.ForeignKey('broadcasts.id'), nullable=False, index=True),
        sa.Column('recipient', sa.String(length=96), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('next_attempt_at', UTCDateTime(), nullable=True),
        sa.Column('sent_at', UTCDateTime(), nullable=True),
    )
    op.create_index('ix_broadcast_sends_due', 'broadcast_sends', ['status', 'next_attempt_at'])


def downgrade() -> None:
    op.drop_index('ix_broadcast_sends_due', table_name='broadcast_sends')
    op.drop_table('broadcast_sends')
    op.drop_table('broadcasts')
    op.drop_table('subscriptions')
