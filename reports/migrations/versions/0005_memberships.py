"""memberships and invites: members join a centre with a one-time code instead of chat ids in YAML

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

from reports.models import UTCDateTime

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'invites',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('code_hash', sa.String(length=64), nullable=False, unique=True),
        sa.Column('center_id', sa.String(length=32), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.Column('used_at', UTCDateTime(), nullable=True),
    )
    op.create_table(
        'memberships',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('center_id', sa.String(length=32), nullable=False, index=True),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('telegram_user_id', sa.BigInteger(), nullable=True, index=True),
        sa.Column('line_user_id', sa.String(length=64), nullable=True, index=True),
        sa.Column('joined_at', UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('memberships')
    op.drop_table('invites')
