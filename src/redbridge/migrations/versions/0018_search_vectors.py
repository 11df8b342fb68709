"""the cluster's note vectors (``search.pgvector``), on PostgreSQL with pgvector only

Revision ID: 0018
Revises: 0017

One row per findable note: the model that embedded it and its vector, under an HNSW index for
cosine distance. Derived data (rebuilt from ``notes`` by the vector reconciliation), so no foreign
key, and not a model: SQLite has no vector type and the embedded deployment keeps a file
(``core.migrate.ENGINE_ONLY_TABLES``). 384 is the dimension of the shipped embedder
(multilingual-e5-small); an embedder of another dimension falls back to the per-process file
(docs/search.md, "PostgreSQL backend"). A server without pgvector gets no table, and the same
fallback; to add the table once pgvector is installed, downgrade to 0017 and upgrade again.
"""
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

DIMENSION = 384


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    if not bind.exec_driver_sql("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").first():
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.execute(f"""
        CREATE TABLE search_vectors (
            note_id BIGINT NOT NULL,
            model VARCHAR(100) NOT NULL,
            embedding vector({DIMENSION}) NOT NULL,
            CONSTRAINT pk_search_vectors PRIMARY KEY (note_id)
        )""")
    op.execute("CREATE INDEX ix_search_vectors_embedding ON search_vectors USING hnsw (embedding vector_cosine_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("DROP TABLE IF EXISTS search_vectors")
