"""ops heartbeats (readiness write check)

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import redbridge.core.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ops_heartbeats',
    sa.Column('process', sa.String(length=120), nullable=False),
    sa.Column('at', redbridge.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('process', name=op.f('pk_ops_heartbeats'))
    )


def downgrade() -> None:
    op.drop_table('ops_heartbeats')
