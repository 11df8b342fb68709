"""search suggestions, trending and history: search_terms, search_query_searchers, search_history

Revision ID: 0017
Revises: 0016

``search_terms`` holds what suggestions offer (popular queries, tags of published notes) under
three prefix-matched keys; ``search_query_searchers`` one row per (query, day, hashed searcher),
the unit popularity and trending count; ``search_history`` each account's recent queries
(docs/search.md, "Suggestions, trending, history"). The key columns use the "C" collation on
PostgreSQL so that prefix ranges compare code points, as on SQLite. New tables only: the
downgrade drops them.
"""
from alembic import op
import sqlalchemy as sa

from redbridge.core.db import UTCDateTime


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _key(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length=length).with_variant(sa.String(length=length, collation='C'), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'search_terms',
        sa.Column('id', _ID, autoincrement=False, nullable=False),
        sa.Column('kind', sa.String(length=5), nullable=False),
        sa.Column('ident', sa.String(length=64), nullable=False),
        sa.Column('text', sa.String(length=64), nullable=False),
        sa.Column('key', _key(64), nullable=False),
        sa.Column('pinyin', _key(256), nullable=False),
        sa.Column('initials', _key(64), nullable=False),
        sa.Column('weight', sa.Integer(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'ident', name='uq_search_terms_ident'),
    )
    op.create_index('ix_search_terms_key', 'search_terms', ['key'])
    op.create_index('ix_search_terms_pinyin', 'search_terms', ['pinyin'])
    op.create_index('ix_search_terms_initials', 'search_terms', ['initials'])
    op.create_table(
        'search_query_searchers',
        sa.Column('term_id', _ID, nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('searcher', sa.String(length=32), nullable=False),
        sa.Column('seen_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['term_id'], ['search_terms.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('term_id', 'day', 'searcher'),
    )
    op.create_index('ix_search_query_searchers_seen', 'search_query_searchers', ['seen_at', 'term_id'])
    op.create_table(
        'search_history',
        sa.Column('id', _ID, autoincrement=False, nullable=False),
        sa.Column('user_id', _ID, nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('text', sa.String(length=2000), nullable=False),
        sa.Column('searched_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'digest', name='uq_search_history_query'),
    )
    op.create_index('ix_search_history_user', 'search_history', ['user_id', 'searched_at'])


def downgrade() -> None:
    op.drop_index('ix_search_history_user', table_name='search_history')
    op.drop_table('search_history')
    op.drop_index('ix_search_query_searchers_seen', table_name='search_query_searchers')
    op.drop_table('search_query_searchers')
    op.drop_index('ix_search_terms_initials', table_name='search_terms')
    op.drop_index('ix_search_terms_pinyin', table_name='search_terms')
    op.drop_index('ix_search_terms_key', table_name='search_terms')
    op.drop_table('search_terms')
