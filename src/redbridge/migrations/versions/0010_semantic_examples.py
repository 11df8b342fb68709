"""semantic matcher: moderators' marked examples

Revision ID: 0010
Revises: 0009

``moderation_examples``: violating text a moderator marked, with its embedding; new text close to
one in meaning is held (``moderation.semantic``).
"""
from alembic import op
import sqlalchemy as sa
import redbridge.core.db


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_TS = redbridge.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('moderation_examples',
    sa.Column('id', _ID, autoincrement=False, nullable=False),
    sa.Column('text', sa.String(length=4000), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('embedding', sa.LargeBinary(), nullable=False),
    sa.Column('embedder', sa.String(length=80), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('queue_item_id', _ID, nullable=True),
    sa.Column('added_by', _ID, nullable=True),
    sa.Column('created_at', _TS, nullable=False),
    sa.Column('disabled_by', _ID, nullable=True),
    sa.Column('disabled_at', _TS, nullable=True),
    sa.ForeignKeyConstraint(['queue_item_id'], ['moderation_queue.id'],
                            name=op.f('fk_moderation_examples_queue_item_id_moderation_queue'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['added_by'], ['users.id'], name=op.f('fk_moderation_examples_added_by_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['disabled_by'], ['users.id'], name=op.f('fk_moderation_examples_disabled_by_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_examples')),
    )
    op.create_index('ix_moderation_examples_disabled_at', 'moderation_examples', ['disabled_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_moderation_examples_disabled_at', table_name='moderation_examples')
    op.drop_table('moderation_examples')
