"""The search backend of one app (``services.state``), opened on first use.

An index that opened ``fresh`` (missing, corrupt, not closed cleanly: ``search.embedded``) is
rebuilt from the database by the ``search.rebuild`` job, enqueued here once: in the embedded
worker it runs beside the requests (searches meanwhile answer from what the index has, and the
database filter keeps them correct); in immediate mode (tests) it runs at once.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Final

from redbridge.search.backend import SearchBackend
from redbridge.search.embedded import TantivyBackend

if TYPE_CHECKING:
    from redbridge.core.services import Services

REBUILD: Final = "search.rebuild"


class _Runtime:
    def __init__(self, services: Services) -> None:
        config = services.settings.search
        self.embedded = TantivyBackend(config.index_dir or services.settings.var_dir / "search",
                                       commit_delay_s=config.commit_delay_s, batch_size=config.commit_batch)
        self.backend: SearchBackend = self.embedded
        self._lock = threading.Lock()
        self._rebuild_asked = False

    def take_rebuild(self) -> bool:
        """True once, for the caller that must enqueue the rebuild of a fresh index."""
        with self._lock:
            if self._rebuild_asked or not self.embedded.fresh:
                return False
            self._rebuild_asked = True
            return True

    def close(self) -> None:
        self.backend.close()


def backend(services: Services, *, rebuild_if_fresh: bool = True) -> SearchBackend:
    """The app's backend; a fresh index is rebuilt by a job unless the caller is the rebuild."""
    runtime = services.state(_Runtime, lambda: _Runtime(services))
    if rebuild_if_fresh and runtime.take_rebuild():
        services.queue.enqueue(REBUILD, {})
    return runtime.backend
