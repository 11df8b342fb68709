"""Writes to the search index (never to the database): bring notes, authors or the whole index in
line with the database. Each reads the current state, so running one twice changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from redbridge.search import documents
from redbridge.search.backend import NoteDoc
from redbridge.search.wiring import backend

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


def sync_author(services: Services, author_id: int) -> None:
    """An account changed: if it is gone or no longer active, its notes leave the index. Most
    changes (a profile, a session) are neither, and cost one query without opening the index. An
    account made active again comes back with ``redbridge search reindex`` (docs/search.md)."""
    with services.sessions() as session:
        active = documents.is_active(session, author_id)
    if not active:
        backend(services).delete_author(author_id)


def rebuild(services: Services, progress: Callable[[int, int], None] | None = None) -> int:
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

        return index.replace_all(batches())
