"""The cluster's vector side: note embeddings in PostgreSQL (``search_vectors``, migration 0018),
under pgvector's HNSW index, so every app process and worker searches one index instead of each
keeping its own file (``search.dense.VectorIndex``, the embedded deployment's).

It answers the calls ``VectorIndex`` answers (:class:`search.dense.NoteVectors`), with cosine
distance (``<=>``, ``vector_cosine_ops``): a hit's score is ``1 - distance``, the cosine, as
usearch's. Vectors travel as pgvector's text form (``[0.1,0.2,...]``) in a bound parameter cast
to ``vector``: no client-side adapter is needed.

**Which model.** Each row names the model that made it. :meth:`PgVectorIndex.open` deletes the
rows of any other model (vectors of two models do not compare) and reports the index as
``rebuilt`` when it holds none of this model's, so the reconciliation job re-embeds from the
database, as it does for a file of another model. The column's dimension is fixed by the
migration (e5-small's 384); an embedder of another dimension gets None here and the caller falls
back to the per-process file, with a warning.

**Durability.** Every write commits before it returns, so ``save`` has nothing to do and a crash
loses nothing (the file index can lose its unsaved tail).

**Recall.** HNSW is approximate; ``hnsw.ef_search`` (the candidate list, default 40) is raised to
the number of hits asked for, since a scan returns at most that many.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any, Final

import numpy as np
from sqlalchemy import BigInteger, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Engine

from redbridge.search.dense import Hit
from redbridge.text.embed import Vectors

log = logging.getLogger(__name__)

# The table migration 0018 makes (only where the server ships pgvector).
TABLE: Final = "search_vectors"
_BATCH: Final = 200
# pgvector's ceiling for hnsw.ef_search.
_MAX_EF: Final = 1000


def _literal(vector: Any) -> str:
    # float32 values printed with repr precision round-trip through pgvector's float4 parser.
    return "[" + ",".join(repr(float(x)) for x in vector) + "]"


def table_dimension(conn: Connection) -> int | None:
    """The ``embedding`` column's dimension, or None when the table does not exist."""
    row = conn.execute(text(
        "SELECT a.atttypmod FROM pg_attribute a WHERE a.attrelid = to_regclass(:table) "
        "AND a.attname = 'embedding' AND NOT a.attisdropped"), {"table": TABLE}).first()
    return int(row[0]) if row is not None else None


class PgVectorIndex:
    """Note id → vector in ``search_vectors``; see the module docstring."""

    def __init__(self, engine: Engine, model: str, dim: int, *, rebuilt: bool = False) -> None:
        self.engine = engine
        self.model = model
        self.dim = dim
        self.rebuilt = rebuilt

    @classmethod
    def open(cls, engine: Engine, model: str, dim: int) -> PgVectorIndex | None:
        """The table's index for this model (another model's rows deleted), or None when the table
        is missing (the server has no pgvector) or holds vectors of another dimension."""
        with engine.begin() as conn:
            found = table_dimension(conn)
            if found is None:
                log.warning("no %s table (the server has no pgvector): each process keeps its own vector file", TABLE)
                return None
            if found != dim:
                log.warning("%s holds %d-dimensional vectors, the embedder makes %d: each process keeps its own "
                            "vector file", TABLE, found, dim)
                return None
            conn.execute(text("DELETE FROM search_vectors WHERE model <> :model"), {"model": model})
            mine = conn.scalar(text("SELECT EXISTS (SELECT 1 FROM search_vectors)"))
        return cls(engine, model, dim, rebuilt=not mine)

    def __len__(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(text("SELECT count(*) FROM search_vectors")) or 0)

    def __contains__(self, note_id: int) -> bool:
        with self.engine.connect() as conn:
            return bool(conn.scalar(text("SELECT EXISTS (SELECT 1 FROM search_vectors WHERE note_id = :id)"),
                                    {"id": int(note_id)}))

    def keys(self) -> set[int]:
        with self.engine.connect() as conn:
            return {int(row[0]) for row in conn.execute(text("SELECT note_id FROM search_vectors"))}

    def upsert(self, note_ids: Sequence[int], vectors: Vectors) -> None:
        """Add or replace the vectors of ``note_ids``, in id order (two writers sharing rows lock
        them in one order: they wait instead of deadlocking)."""
        if len(note_ids) != len(vectors):
            raise ValueError("one vector per note")
        if not note_ids:
            return
        rows = sorted({int(i): np.asarray(v, dtype=np.float32) for i, v in zip(note_ids, vectors, strict=True)}.items())
        statement = text(
            "INSERT INTO search_vectors (note_id, model, embedding) VALUES (:id, :model, CAST(:vector AS vector)) "
            "ON CONFLICT (note_id) DO UPDATE SET model = excluded.model, embedding = excluded.embedding")
        with self.engine.begin() as conn:
            for start in range(0, len(rows), _BATCH):
                conn.execute(statement, [{"id": i, "model": self.model, "vector": _literal(v)}
                                         for i, v in rows[start:start + _BATCH]])

    def remove(self, note_ids: Iterable[int]) -> int:
        """Drop the notes' vectors; how many were there."""
        wanted = list(note_ids)
        if not wanted:
            return 0
        statement = text("DELETE FROM search_vectors WHERE note_id = ANY(:ids) RETURNING note_id").bindparams(
            bindparam("ids", sorted({int(i) for i in wanted}), type_=ARRAY(BigInteger)))
        with self.engine.begin() as conn:
            return len(conn.execute(statement).all())

    def search(self, vector: Vectors, k: int, exclude: frozenset[int] = frozenset()) -> list[Hit]:
        """The ``k`` nearest notes, best first, leaving out ``exclude`` (asks for more to fill ``k``)."""
        if k <= 0:
            return []
        depth = min(k + len(exclude), _MAX_EF)
        statement = text(
            "SELECT note_id, embedding <=> CAST(:vector AS vector) AS distance FROM search_vectors "
            "ORDER BY distance LIMIT :depth")
        with self.engine.begin() as conn:
            # SET LOCAL: for this transaction only, so the pooled connection goes back as it came.
            conn.execute(select(func.set_config("hnsw.ef_search", str(max(40, depth)), True)))
            rows = conn.execute(statement, {"vector": _literal(np.asarray(vector).reshape(-1)), "depth": depth}).all()
        found = [Hit(int(note_id), 1.0 - float(distance)) for note_id, distance in rows]
        return [hit for hit in found if hit.note_id not in exclude][:k]

    def save(self) -> None:
        """Nothing is pending: every write committed before it returned."""
