"""image moderation: perceptual-hash blocklist and NSFW scores

Revision ID: 0009
Revises: 0008

``image_blocklist``: the moderators' blocked perceptual hashes; ``media`` gains the pHash, the
open_nsfw score, the verdict the thresholds gave at upload and the blocklist entry a later match
found (existing rows: no hash, no score, ``allow``).
"""
from alembic import op
import sqlalchemy as sa
import redbridge.core.db


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_TS = redbridge.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('image_blocklist',
    sa.Column('id', _ID, autoincrement=False, nullable=False),
    sa.Column('phash', sa.BigInteger(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('source_media_id', _ID, nullable=True),
    sa.Column('added_by', _ID, nullable=True),
    sa.Column('created_at', _TS, nullable=False),
    sa.ForeignKeyConstraint(['added_by'], ['users.id'], name=op.f('fk_image_blocklist_added_by_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_image_blocklist')),
    )
    op.create_index('uq_image_blocklist_phash', 'image_blocklist', ['phash'], unique=True)

    op.add_column('media', sa.Column('phash', sa.BigInteger(), nullable=True))
    op.add_column('media', sa.Column('nsfw_score', sa.Float(), nullable=True))
    op.add_column('media', sa.Column('verdict', sa.String(length=10), server_default='allow', nullable=False))
    # SQLite cannot add a foreign key by ALTER: batch mode rebuilds ``media`` there (nothing
    # references media, so the rebuild cascades nowhere); PostgreSQL gets plain ALTERs.
    with op.batch_alter_table('media') as batch_op:
        batch_op.add_column(sa.Column('blocked_by', _ID, nullable=True))
        batch_op.create_foreign_key(op.f('fk_media_blocked_by_image_blocklist'), 'image_blocklist',
                                    ['blocked_by'], ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_media_blocked_by', ['blocked_by'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('media') as batch_op:
        batch_op.drop_index('ix_media_blocked_by')
        batch_op.drop_constraint(op.f('fk_media_blocked_by_image_blocklist'), type_='foreignkey')
        batch_op.drop_column('blocked_by')
    op.drop_column('media', 'verdict')
    op.drop_column('media', 'nsfw_score')
    op.drop_column('media', 'phash')
    op.drop_index('uq_image_blocklist_phash', table_name='image_blocklist')
    op.drop_table('image_blocklist')
