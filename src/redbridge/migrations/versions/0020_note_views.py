"""note_views: the notes each reader opened, for search's "not yet seen" scope

Revision ID: 0020
Revises: 0019

One row per (reader, note), the last time they opened it (``notes.models.NoteView``). A new
table only: the downgrade drops it.
"""
from alembic import op
import sqlalchemy as sa

from redbridge.core.db import UTCDateTime


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'note_views',
        sa.Column('user_id', _ID, nullable=False),
        sa.Column('note_id', _ID, nullable=False),
        sa.Column('viewed_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['note_id'], ['notes.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'note_id'),
    )
    op.create_index('ix_note_views_user_viewed', 'note_views', ['user_id', 'viewed_at'])


def downgrade() -> None:
    op.drop_index('ix_note_views_user_viewed', table_name='note_views')
    op.drop_table('note_views')
