"""What media runs beside the requests: the sweep that re-queues lost video jobs.

Started and stopped by the media router's lifespan (``routes.lifespan``), i.e. in every app
process whose jobs are not run inline (``jobs_mode`` embedded or redis). The sweep itself only
queues jobs, which are idempotent, so several processes sweeping at once is harmless.
"""

from __future__ import annotations

import logging
import threading

from redbridge.core.services import Services
from redbridge.media import actions

log = logging.getLogger("redbridge.media")


class PendingSweeper:
    """A daemon thread: one sweep at start-up, then one every ``sweep_interval_s``."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="redbridge-media-sweep", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        settings = self._services.settings
        # At start-up of the embedded worker nothing is running yet, so every pending video is
        # either still queued or lost with the process that died: queue them all again at once
        # (a duplicate finds the row ready and does nothing). Elsewhere, and later, only rows
        # older than the bound, which a healthy worker would have finished long ago.
        older_than: float | None = 0.0 if settings.jobs_mode == "embedded" else None
        while not self._stop.is_set():
            try:
                actions.sweep_pending(self._services, older_than_s=older_than)
            except Exception:
                log.exception("pending media sweep failed")
            older_than = None
            self._stop.wait(settings.media.sweep_interval_s)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
