"""spam signals: near-duplicate fingerprints, trust, surge mode

Revision ID: 0011
Revises: 0010

``spam_fingerprints``: SimHash fingerprints of recent notes and comments, each 16-bit band indexed
with the time (the near-duplicate lookup); ``spam_surge``: surge mode's switch (one row);
``spam_pow_used``: signup proof-of-work challenges already spent (single use across processes).
"""
from alembic import op
import sqlalchemy as sa
import redbridge.core.db


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_TS = redbridge.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('spam_fingerprints',
    sa.Column('id', _ID, autoincrement=False, nullable=False),
    sa.Column('subject_kind', sa.String(length=10), nullable=False),
    sa.Column('subject_id', _ID, nullable=False),
    sa.Column('author_id', _ID, nullable=False),
    sa.Column('simhash', sa.BigInteger(), nullable=False),
    sa.Column('band0', sa.Integer(), nullable=False),
    sa.Column('band1', sa.Integer(), nullable=False),
    sa.Column('band2', sa.Integer(), nullable=False),
    sa.Column('band3', sa.Integer(), nullable=False),
    sa.Column('created_at', _TS, nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_spam_fingerprints_author_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spam_fingerprints')),
    )
    for band in range(4):
        op.create_index(f'ix_spam_fingerprints_band{band}', 'spam_fingerprints', [f'band{band}', 'created_at'],
                        unique=False)
    op.create_index('ix_spam_fingerprints_subject', 'spam_fingerprints', ['subject_kind', 'subject_id'], unique=False)
    op.create_index('ix_spam_fingerprints_created', 'spam_fingerprints', ['created_at'], unique=False)
    op.create_table('spam_surge',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('mode', sa.String(length=4), nullable=False),
    sa.Column('changed_by', _ID, nullable=True),
    sa.Column('changed_at', _TS, nullable=False),
    sa.ForeignKeyConstraint(['changed_by'], ['users.id'], name=op.f('fk_spam_surge_changed_by_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spam_surge')),
    )
    op.create_table('spam_pow_used',
    sa.Column('challenge_id', sa.String(length=32), nullable=False),
    sa.Column('expires_at', _TS, nullable=False),
    sa.PrimaryKeyConstraint('challenge_id', name=op.f('pk_spam_pow_used')),
    )
    op.create_index('ix_spam_pow_used_expires', 'spam_pow_used', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_spam_pow_used_expires', table_name='spam_pow_used')
    op.drop_table('spam_pow_used')
    op.drop_table('spam_surge')
    op.drop_index('ix_spam_fingerprints_created', table_name='spam_fingerprints')
    op.drop_index('ix_spam_fingerprints_subject', table_name='spam_fingerprints')
    for band in reversed(range(4)):
        op.drop_index(f'ix_spam_fingerprints_band{band}', table_name='spam_fingerprints')
    op.drop_table('spam_fingerprints')
