"""Writes to the search index (never to the database): bring notes, authors or the whole index in
line with the database. Each reads the current state, so running one twice changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from redbridge.search import documents
from redbridge.search.backend import NoteDoc
from redbridge.search.wiring import backend, dense

if TYPE_CHECKING:
    from redbridge.core.services import Services


def sync_notes(services: Services, note_ids: Sequence[int]) -> None:
    """Index the findable ones among ``note_ids`` as they are now; remove the others (deleted,
    held, removed, author deactivated)."""
    with services.sessions() as session:
        found = documents.load(session, note_ids)
    index = backend(services)
    index.index(list(found.values()))
    index.delete([i for i in note_ids if i not in found])
    vectors = dense(services)
    if vectors is not None:
        with services.sessions() as session:
            texts = documents.passages(session, list(found))
        ids = list(texts)
        vectors.index.upsert(ids, vectors.embedder.notes([texts[i] for i in ids]))
        vectors.index.remove([i for i in note_ids if i not in texts])
        vectors.changed()


def reconcile_vectors(services: Services, batch: int = 64) -> tuple[int, int]:
    """Make the vector index hold exactly the findable notes: embed the missing ones (all of them
    for an index that opened empty: another model's, unreadable, new), drop the others. Run once
    per process at first use, so a crash that lost the last unsaved writes heals; an edit whose
    new vector was lost with them keeps its old one until the note changes again (docs/search.md).
    Returns (embedded, removed)."""
    vectors = dense(services, reconcile=False)
    if vectors is None:
        return 0, 0
    with services.sessions() as session:
        wanted = documents.findable_ids(session)
    have = vectors.index.keys()
    removed = vectors.index.remove(have - wanted)
    missing = sorted(wanted - have)
    for start in range(0, len(missing), batch):
        chunk = missing[start:start + batch]
        with services.sessions() as session:
            texts = documents.passages(session, chunk)
        ids = list(texts)
        vectors.index.upsert(ids, vectors.embedder.notes([texts[i] for i in ids]))
    vectors.changed()
    return len(missing), removed


def sync_author(services: Services, author_id: int) -> None:
    """An account changed: if it is gone or no longer active, its notes leave the index. Most
    changes (a profile, a session) are neither, and cost one query without opening the index. An
    account made active again comes back with ``redbridge search reindex`` (docs/search.md)."""
    with services.sessions() as session:
        active = documents.is_active(session, author_id)
    if not active:
        backend(services).delete_author(author_id)


def rebuild(services: Services, progress: Callable[[int, int], None] | None = None, *, vectors: bool = True) -> int:
    """Replace the index with every findable note (one atomic commit); ``progress(done, total)``
    after each batch. Returns how many notes were indexed."""
    index = backend(services, rebuild_if_fresh=False)
    with services.sessions() as session:
        total = documents.total_findable(session)
        done = 0

        def batches() -> Iterator[list[NoteDoc]]:
            nonlocal done
            for batch in documents.all_findable(session):
                yield batch
                done += len(batch)
                if progress is not None:
                    progress(done, total)

        indexed = index.replace_all(batches())
    if vectors:  # else the app's own reconciliation embeds them, in the background (the demo)
        reconcile_vectors(services)
    return indexed
