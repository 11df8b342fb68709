"""The search backend of one app (``services.state``), opened on first use: the embedded tantivy
index or the PostgreSQL table, as ``settings.search_backend`` says (``auto``: PostgreSQL when the
database is).

An index that is ``fresh`` is rebuilt from the database by the ``search.rebuild`` job, enqueued
here once per process: in the embedded worker it runs beside the requests (searches meanwhile
answer from what the index has, and the database filter keeps them correct); in immediate mode
(tests) it runs at once.

* Embedded: fresh when the index opened missing, corrupt or not closed cleanly (writes still
  pending at a crash are lost: ``search.embedded``).
* PostgreSQL: every write commits before its job finishes, and a job that fails is retried, so
  the table loses nothing to a crash. It is fresh only when it was never built: empty while
  findable notes exist (a deployment moved from the embedded backend, a migration just run, a
  ``clear``). Checked once per process, on the backend's own connections.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from redbridge.search import documents
from redbridge.search.backend import SearchBackend
from redbridge.search.dense import NoteEmbedder, NoteVectors, VectorIndex, note_embedder
from redbridge.search.embedded import TantivyBackend
from redbridge.search.pgvector import PgVectorIndex
from redbridge.search.postgres import PostgresBackend
from redbridge.text.embed import default_embedder

if TYPE_CHECKING:
    from redbridge.core.services import Services

REBUILD: Final = "search.rebuild"
RECONCILE_VECTORS: Final = "search.reconcile_vectors"


class Dense:
    """The vector side (``settings.search.dense``): the note embedder and the index, opened on
    first use (the model and its centring means load in ~1-3 s). With the PostgreSQL backend
    (``engine`` given) the index is pgvector's table, shared by every process, when the server has
    it; else a file of this process's, saved at most every ``vector_save_s`` by the writing job,
    and at close."""

    def __init__(self, services: Services, engine: Engine | None = None) -> None:
        config = services.settings.search
        self.embedder: NoteEmbedder = note_embedder(default_embedder())
        shared = PgVectorIndex.open(engine, self.embedder.name, self.embedder.dim) if engine is not None else None
        root = config.index_dir or services.settings.var_dir / "search"
        # ``is None``, not ``or``: an empty index has no length, so it is falsy.
        self.index: NoteVectors = shared if shared is not None else VectorIndex.open(
            root / "notes-vectors.usearch", self.embedder.name, self.embedder.dim)
        self._save_every = config.vector_save_s
        self._saved_at = time.monotonic()
        self._dirty = False
        self._lock = threading.Lock()

    def changed(self) -> None:
        """After a write: save if the last save is older than ``vector_save_s``."""
        with self._lock:
            self._dirty = True
            if time.monotonic() - self._saved_at < self._save_every:
                return
            self._save()

    def _save(self) -> None:
        self.index.save()
        self._saved_at = time.monotonic()
        self._dirty = False

    def close(self) -> None:
        with self._lock:
            if self._dirty:
                self._save()


# The PostgreSQL backend's own pool (``search.postgres``, "Connections"): searches hold a
# connection for a few milliseconds, so a few serve a process; a burst overflows up to one per
# admitted request, and those extra connections close when returned.
PG_POOL_SIZE: Final = 4


def _never_built(index: PostgresBackend) -> bool:
    if index.count() > 0:
        return False
    with Session(index.engine) as session:  # not the app's pool: the caller may hold one of it
        return documents.any_findable(session)


class _Runtime:
    def __init__(self, services: Services) -> None:
        config = services.settings.search
        self.backend: SearchBackend
        self._fresh: Callable[[], bool]
        self._engine: Engine | None = None  # the PostgreSQL backend's, for the vectors too
        if services.settings.search_backend == "postgres":
            index = PostgresBackend.connect(services.engine.url, pool_size=PG_POOL_SIZE,
                                            max_overflow=services.settings.capacity.max_inflight)
            self.backend = index
            self._engine = index.engine
            self._fresh = lambda: _never_built(index)
        else:
            embedded = TantivyBackend(config.index_dir or services.settings.var_dir / "search",
                                      commit_delay_s=config.commit_delay_s, batch_size=config.commit_batch)
            self.backend = embedded
            self._fresh = lambda: embedded.fresh
        self._lock = threading.Lock()
        self._rebuild_asked = False
        self._dense_enabled = config.dense
        self._dense: Dense | None = None
        self._services = services

    def take_rebuild(self) -> bool:
        """True once, for the caller that must enqueue the rebuild of a fresh index."""
        with self._lock:
            if self._rebuild_asked:
                return False
            # Asked once: an index is fresh when opened, and the one rebuild makes it whole.
            self._rebuild_asked = True
            return self._fresh()

    def dense(self, reconcile: bool = True) -> Dense | None:
        """The vector side, opened (and, once per process, reconciled with the database by a
        job, unless the caller is the reconciliation) on first use; None when
        ``settings.search.dense`` is off."""
        if not self._dense_enabled:
            return None
        with self._lock:
            opened = self._dense is None
            if opened:
                self._dense = Dense(self._services, self._engine)
            found = self._dense
        if opened and reconcile:  # outside the lock: in immediate mode the job runs here, and asks again
            self._services.queue.enqueue(RECONCILE_VECTORS, {})
        return found

    def close(self) -> None:
        self.backend.close()
        if self._dense is not None:
            self._dense.close()


def dense(services: Services, *, reconcile: bool = True) -> Dense | None:
    """The app's vector side, or None when dense retrieval is off."""
    return services.state(_Runtime, lambda: _Runtime(services)).dense(reconcile)


def backend(services: Services, *, rebuild_if_fresh: bool = True) -> SearchBackend:
    """The app's backend; a fresh index is rebuilt by a job unless the caller is the rebuild."""
    runtime = services.state(_Runtime, lambda: _Runtime(services))
    if rebuild_if_fresh and runtime.take_rebuild():
        services.queue.enqueue(REBUILD, {})
    return runtime.backend
