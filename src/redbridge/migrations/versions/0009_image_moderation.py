"""image moderation: perceptual-hash blocklist and NSFW scores

Revision ID: 0009
Revises: 0008

Reserved in the chain so the pieces of issue 8 can land in any order; filled by its owner.
"""
from alembic import op  # noqa: F401  # the owner fills upgrade() in
import sqlalchemy as sa
import redbridge.core.db


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_TS = redbridge.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
