"""reporter aliases: a random salt per reporter (new after FORGET) and the alias a centre sees on each report

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reporters') as batch_op:
        batch_op.add_column(sa.Column('salt', sa.String(length=32), nullable=True))
    with op.batch_alter_table('reports') as batch_op:
        batch_op.add_column(sa.Column('reporter_alias', sa.String(length=16), nullable=True))
    # Reports stored before aliases keep showing the pseudonym they were alerted with.
    op.execute("UPDATE reports SET reporter_alias = reporter_id WHERE reporter_alias IS NULL")


def downgrade() -> None:
    with op.batch_alter_table('reports') as batch_op:
        batch_op.drop_column('reporter_alias')
    with op.batch_alter_table('reporters') as batch_op:
        batch_op.drop_column('salt')
