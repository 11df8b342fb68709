"""Which notes each reader opened (``NoteView``), recorded off the read path.

Opening a note is the hottest read there is, often answered from a cache on the event loop with
no database at all (``reads.note_page``). A write per open would undo that, so an open is one
dictionary store under a lock here (:func:`record`), and a daemon thread writes what gathered
every ``search.views_flush_s`` (2 s) in one transaction (``notes.actions.record_views``), as does
closing the services. Repeats within a period are one row; at most ``views_pending_max`` distinct
(reader, note) pairs wait per process, and opens beyond that are dropped until the next write
(a view is a hint for search's "not yet seen" scope, not a record anyone is owed).

What a crash (kill -9) loses is the last period's views. Readers of this process see their own
views at once: :func:`pending` is what search adds to what is stored. In the cluster another
process's views reach the database within the period.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from redbridge.core.services import Services
from redbridge.notes import actions

log = logging.getLogger(__name__)


class ViewLog:
    """This process's views not yet written; the writer thread starts with the first view
    (not in ``jobs_mode`` immediate, the tests', which write by :meth:`flush`)."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._lock = threading.Lock()
        self._pending: dict[tuple[int, int], datetime] = {}
        self._dropped = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._background = services.settings.jobs_mode != "immediate"

    def record(self, user_id: int, note_id: int) -> None:
        now = self._services.clock.now()
        with self._lock:
            key = (user_id, note_id)
            if key not in self._pending and len(self._pending) >= self._services.settings.search.views_pending_max:
                self._dropped += 1
                return
            self._pending[key] = now
            if self._background and self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._loop, name="redbridge-note-views", daemon=True)
                self._thread.start()

    def pending(self, user_id: int) -> set[int]:
        with self._lock:
            return {note_id for (viewer, note_id) in self._pending if viewer == user_id}

    def flush(self) -> int:
        """Write what is pending; how many views. On a database error they are kept for the next
        try (while there is room)."""
        with self._lock:
            batch, self._pending = self._pending, {}
            dropped, self._dropped = self._dropped, 0
        if dropped:
            log.warning("note views: %d dropped (more than %d waiting)", dropped,
                        self._services.settings.search.views_pending_max)
        if not batch:
            return 0
        try:
            actions.record_views(self._services, [(u, n, at) for (u, n), at in batch.items()])
        except SQLAlchemyError:
            log.exception("note views: writing %d failed; kept for the next try", len(batch))
            with self._lock:
                for key, at in batch.items():
                    if len(self._pending) < self._services.settings.search.views_pending_max:
                        self._pending.setdefault(key, at)
            return 0
        return len(batch)

    def _loop(self) -> None:
        while not self._stop.wait(self._services.settings.search.views_flush_s):
            self.flush()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.flush()


def view_log(services: Services) -> ViewLog:
    return services.state(ViewLog, lambda: ViewLog(services))


def record(services: Services, user_id: int, note_id: int) -> None:
    """A reader opened a note they may see."""
    view_log(services).record(user_id, note_id)


def pending(services: Services, user_id: int) -> set[int]:
    """The reader's views this process has not written yet."""
    return view_log(services).pending(user_id)


def flush(services: Services) -> int:
    return view_log(services).flush()
