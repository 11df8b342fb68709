"""community translations, their votes, and the reader's "always translate" setting

Revision ID: 0013
Revises: 0012

``community_translations``: a reader's translation of a note or comment into one target, one per
author, subject and target; ``source_digest`` is the digest of the text it translates (an edit
makes it stale), ``status`` as a note's (moderation), ``score``/``votes`` kept with the votes.
``community_translation_votes``: one +1/-1 per reader and translation. ``users.always_translate``.
"""
from alembic import op
import sqlalchemy as sa
import redbridge.core.db


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_TS = redbridge.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('community_translations',
    sa.Column('id', _ID, autoincrement=False, nullable=False),
    sa.Column('subject_kind', sa.String(length=10), nullable=False),
    sa.Column('subject_id', _ID, nullable=False),
    sa.Column('note_id', _ID, nullable=False),
    sa.Column('target', sa.String(length=8), nullable=False),
    sa.Column('source_digest', sa.String(length=32), nullable=False),
    sa.Column('author_id', _ID, nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='published', nullable=False),
    sa.Column('score', sa.Integer(), server_default='0', nullable=False),
    sa.Column('votes', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', _TS, nullable=False),
    sa.Column('updated_at', _TS, nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_community_translations_author_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_translations')),
    sa.UniqueConstraint('subject_kind', 'subject_id', 'target', 'author_id', name='uq_community_translations_author'),
    )
    op.create_index('ix_community_translations_subject', 'community_translations',
                    ['subject_kind', 'subject_id', 'target', 'status', 'score'], unique=False)
    op.create_index('ix_community_translations_note', 'community_translations', ['note_id'], unique=False)
    op.create_table('community_translation_votes',
    sa.Column('translation_id', _ID, nullable=False),
    sa.Column('user_id', _ID, nullable=False),
    sa.Column('value', sa.SmallInteger(), nullable=False),
    sa.Column('created_at', _TS, nullable=False),
    sa.ForeignKeyConstraint(['translation_id'], ['community_translations.id'], name=op.f('fk_community_translation_votes_translation_id_community_translations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_community_translation_votes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('translation_id', 'user_id', name=op.f('pk_community_translation_votes')),
    )
    # Plain ALTER TABLE (no batch): a rebuilt ``users`` table would cascade into every table that
    # references it on SQLite (tests/test_migrations.py).
    op.add_column('users', sa.Column('always_translate', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.drop_column('users', 'always_translate')
    op.drop_table('community_translation_votes')
    op.drop_index('ix_community_translations_note', table_name='community_translations')
    op.drop_index('ix_community_translations_subject', table_name='community_translations')
    op.drop_table('community_translations')
