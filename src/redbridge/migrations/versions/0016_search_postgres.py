"""the PostgreSQL search backend's table (``search.postgres``), on PostgreSQL only

Revision ID: 0016
Revises: 0015

The cluster's keyword index: one row per findable note, its analysed terms in a weighted
``tsvector`` (title A, body B, tags C) under a GIN index, and the columns the filters and sorts
read. It is derived data, rebuilt from ``notes`` by ``redbridge search reindex``, so it has no
foreign keys (a note deleted between the job's read and its write must not fail the write) and
is not a model: SQLite has no tsvector, and the embedded deployment keeps its index in tantivy.
``core.migrate.ENGINE_ONLY_TABLES`` keeps autogenerate from proposing to drop it.

Extensions: ``pg_trgm`` (typo tolerance, suggestions) and ``vector`` (pgvector: dense retrieval)
when the server ships it (Debian's PostgreSQL 15 does not). The downgrade leaves them: they hold
no data, and other revisions may rely on them.
"""
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    if bind.exec_driver_sql("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").first():
        op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.execute("""
        CREATE TABLE search_notes (
            note_id BIGINT NOT NULL,
            author_id BIGINT NOT NULL,
            document TSVECTOR NOT NULL,
            lang VARCHAR(8) NOT NULL,
            kind VARCHAR(10) NOT NULL,
            created_at BIGINT NOT NULL,
            like_count INTEGER NOT NULL,
            collect_count INTEGER NOT NULL,
            comment_count INTEGER NOT NULL,
            boost DOUBLE PRECISION NOT NULL,
            lat DOUBLE PRECISION,
            lng DOUBLE PRECISION,
            CONSTRAINT pk_search_notes PRIMARY KEY (note_id)
        )""")
    op.execute("CREATE INDEX ix_search_notes_document ON search_notes USING gin (document)")
    # Removing a deactivated author's notes, and the "following" scope.
    op.execute("CREATE INDEX ix_search_notes_author_id ON search_notes (author_id)")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("DROP TABLE IF EXISTS search_notes")
