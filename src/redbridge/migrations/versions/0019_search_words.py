"""the PostgreSQL search backend's vocabulary, for typo tolerance (pg_trgm), on PostgreSQL only

Revision ID: 0019
Revises: 0018

Every indexed word that typo tolerance may offer as a correction (Latin letters, four or more),
under a trigram GIN index: a query word no note has is looked up by trigram similarity here and
corrected to the words within a few edits of it (``search.postgres``, docs/search.md, "Typo
tolerance"). Words are added as notes are indexed and never removed one by one (a word no note
has any more corrects to nothing); a full rebuild starts the table afresh. Derived data, not a
model (``core.migrate.ENGINE_ONLY_TABLES``).
"""
from alembic import op


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE TABLE search_words (word VARCHAR(64) NOT NULL, CONSTRAINT pk_search_words PRIMARY KEY (word))")
    op.execute("CREATE INDEX ix_search_words_trigrams ON search_words USING gin (word gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("DROP TABLE IF EXISTS search_words")
