"""How much media work one process does at once, and where images are decoded.

Two parts, one per :class:`~redbridge.core.services.Services` (``services.state(MediaWorkers)``):

* a gate: at most ``processing_slots`` uploads (images and videos) are processed at once — by
  default one per CPU, since decoding and remuxing are CPU work and more at once only adds
  memory. Up to ``processing_queue`` more wait at most ``processing_wait_s``; anyone beyond is
  told to come back (:class:`Busy`, a 503 with ``Retry-After``) instead of piling up memory.
* a pool of worker processes that decode images. A decoded picture is up to
  ``max_decode_bytes`` of pixels; freed memory is rarely handed back to the OS by a long-lived
  process (allocator arenas, fragmentation), so the decoding happens in a child that is replaced
  after ``worker_max_tasks`` images and whatever it grew to is returned when it exits. The
  children come from the ``forkserver`` context: forking the app itself would copy its threads'
  locks in whatever state they are in. The pool is made on first use and shut down by
  :func:`close` (the media router's lifespan, and ``Services.close`` where it calls it).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import TYPE_CHECKING

from redbridge.media.processing import ImageLimits, MediaError, ProcessedImage, process_image
from redbridge.moderation.images import NSFWScorer
from redbridge.settings import MediaSettings

if TYPE_CHECKING:
    from redbridge.core.services import Services

log = logging.getLogger("redbridge.media")



class Busy(Exception):  # noqa: N818 - a state, not an error in the code
    """Every processing slot is taken and the wait queue is full (or the wait timed out)."""


class MediaWorkers:
    def __init__(self, settings: MediaSettings, *, preload_nsfw: bool = False) -> None:
        self.settings = settings
        # The forkserver loads the NSFW model once, so each recycled child starts with it
        # (``moderation.images.warm``) rather than loading 23 MB every ``worker_max_tasks`` images.
        self.preload_nsfw = preload_nsfw
        self.slots = settings.processing_slots or os.cpu_count() or 1
        self._free = threading.BoundedSemaphore(self.slots)
        self._lock = threading.Lock()
        self._waiting = 0
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False

    @property
    def waiting(self) -> int:
        return self._waiting

    def acquire(self) -> None:
        """Take a processing slot, waiting if allowed; :class:`Busy` when none comes in time."""
        if self._free.acquire(blocking=False):
            return
        with self._lock:
            if self._waiting >= self.settings.processing_queue:
                raise Busy
            self._waiting += 1
        try:
            acquired = self._free.acquire(timeout=self.settings.processing_wait_s)
        finally:
            with self._lock:
                self._waiting -= 1
        if not acquired:
            raise Busy

    def release(self) -> None:
        self._free.release()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one processing slot for the block (see :meth:`acquire`)."""
        self.acquire()
        try:
            yield
        finally:
            self.release()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise RuntimeError("media workers are closed")
            if self._pool is None:
                context = multiprocessing.get_context("forkserver")
                # Children start from a server that has already imported Pillow and the pipeline,
                # and scipy's DCT, which ``imagehash.phash`` imports on its first call (~0.2 s that
                # every recycled child would otherwise pay on its first upload).
                preload = ["redbridge.media.processing", "scipy.fftpack"]
                if self.preload_nsfw:
                    preload.append("redbridge.moderation.nsfw_preload")
                context.set_forkserver_preload(preload)
                self._pool = ProcessPoolExecutor(
                    max_workers=self.slots,
                    mp_context=context,
                    max_tasks_per_child=self.settings.worker_max_tasks,
                )
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def process_image(self, raw: bytes, limits: ImageLimits, scorer: NSFWScorer | None = None) -> ProcessedImage:
        """:func:`~redbridge.media.processing.process_image`, in a worker process (or inline).
        ``scorer`` is pickled to the worker (the shipped one holds nothing: the worker's own model
        does the work).

        Call it holding a :meth:`slot`: the pool has one process per slot.
        """
        if self.settings.image_workers == "inline":
            return process_image(raw, limits, scorer)
        pool = self._executor()
        try:
            return pool.submit(process_image, raw, limits, scorer).result()
        except BrokenProcessPool as exc:
            # A child died: killed for memory, or a decoder crashed on a hostile file. The pool
            # is unusable now; the next upload gets a fresh one.
            log.warning("image worker died; pool replaced")
            self._discard(pool)
            raise MediaError("media.not_image", "image worker died") from exc

    def worker_pids(self) -> list[int]:
        pool = self._pool
        processes = getattr(pool, "_processes", None) or {}
        return [int(pid) for pid in processes]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def for_services(services: Services) -> MediaWorkers:
    """The media workers of ``services`` (closed with them: ``Services.close``)."""
    return services.state(MediaWorkers, lambda: MediaWorkers(services.settings.media,
                                                             preload_nsfw=services.settings.images.nsfw))
