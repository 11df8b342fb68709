"""translations: the durable tier of the translation cache

Revision ID: 0012
Revises: 0011

``translations``: what an engine produced, keyed by (source, target, engine, sha256 of text and
places), unique on the key; ``subject`` names the note or comment whose text it is, so an edit or
a delete removes the old text's rows.
"""
from alembic import op
import sqlalchemy as sa
import redbridge.core.db


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_TS = redbridge.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('translations',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('target', sa.String(length=8), nullable=False),
    sa.Column('engine', sa.String(length=200), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('subject', sa.String(length=40), nullable=True),
    sa.Column('created_at', _TS, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_translations')),
    sa.UniqueConstraint('source', 'target', 'engine', 'digest', name='uq_translations_key'),
    )
    op.create_index('ix_translations_subject', 'translations', ['subject'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_translations_subject', table_name='translations')
    op.drop_table('translations')
