"""accounts: one-time login codes, web sessions, scoped API tokens, officers' PINs

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

from reports.models import UTCDateTime

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'login_codes',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('code_hash', sa.String(length=64), nullable=False, unique=True),
        sa.Column('principal', sa.JSON(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.Column('used_at', UTCDateTime(), nullable=True),
    )
    op.create_table(
        'web_sessions',
        sa.Column('id', sa.String(length=16), primary_key=True),
        sa.Column('token_hash', sa.String(length=64), nullable=False, unique=True),
        sa.Column('principal_key', sa.String(length=96), nullable=False),
        sa.Column('principal', sa.JSON(), nullable=False),
        sa.Column('user_agent', sa.String(length=120), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', UTCDateTime(), nullable=False),
        sa.Column('ended_at', UTCDateTime(), nullable=True),
    )
    op.create_index('ix_web_sessions_principal_key', 'web_sessions', ['principal_key'])
    op.create_table(
        'api_tokens',
        sa.Column('id', sa.String(length=16), primary_key=True),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('centers', sa.JSON(), nullable=False),
        sa.Column('scopes', sa.JSON(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=True),
        sa.Column('revoked_at', UTCDateTime(), nullable=True),
        sa.Column('last_used_at', UTCDateTime(), nullable=True),
    )
    op.create_table(
        'officer_pins',
        sa.Column('phone_key', sa.String(length=64), primary_key=True),
        sa.Column('pin_hash', sa.String(length=64), nullable=False),
        sa.Column('salt', sa.String(length=32), nullable=False),
        sa.Column('set_by', sa.String(length=64), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('officer_pins')
    op.drop_table('api_tokens')
    op.drop_index('ix_web_sessions_principal_key', table_name='web_sessions')
    op.drop_table('web_sessions')
    op.drop_table('login_codes')
