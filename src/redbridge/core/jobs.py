"""Background jobs on huey: durable, retried, embedded or on Redis.

Feature code registers plain functions with :func:`job` and subscribes them to events with
``on=``; it never touches huey. Each queue instance owns exactly one huey task, ``run_job``, which
looks the job up by name. That keeps the huey instance a product of settings (made in
``create_app``) instead of a module-level global that task decorators would need.

Modes:
* ``embedded`` — SqliteHuey in ``var/jobs.db`` and a worker thread inside the app process: jobs
  survive a restart and are retried, with nothing else to run.
* ``redis`` — RedisHuey; ``redbridge worker`` processes consume, on any number of machines.
* ``immediate`` — run synchronously after commit (tests, scripts).

Events reach the queue through the transactional outbox (``core.outbox``): ``relay`` is set by
``core.events.wire``. The embedded worker relays and then runs what is due; in redis mode every
app process and ``redbridge worker`` runs a relay thread (:meth:`JobQueue.start_relay`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from huey import MemoryHuey, RedisHuey, SqliteHuey

if TYPE_CHECKING:
    from redbridge.core.outbox import OutboxRelay
    from redbridge.core.services import Services

log = logging.getLogger("redbridge.jobs")

JobFn = Callable[["Services", dict[str, Any]], None]


@dataclass(frozen=True)
class JobSpec:
    name: str
    fn: JobFn
    retries: int
    retry_delay: float


_JOBS: dict[str, JobSpec] = {}
_SUBSCRIBERS: dict[str, list[str]] = {}


def job(name: str, *, on: tuple[str, ...] = (), retries: int = 3, retry_delay: float = 2.0) -> Callable[[JobFn], JobFn]:
    """Register ``fn`` as job ``name``; with ``on``, run it after each commit that publishes those events."""

    def register(fn: JobFn) -> JobFn:
        _JOBS[name] = JobSpec(name, fn, retries, retry_delay)
        for event in on:
            subs = _SUBSCRIBERS.setdefault(event, [])
            if name not in subs:
                subs.append(name)
        return fn

    return register


def subscribers(event: str) -> list[str]:
    return list(_SUBSCRIBERS.get(event, ()))


def registered() -> dict[str, JobSpec]:
    return dict(_JOBS)


class JobQueue:
    def __init__(self, huey: Any, services: Services) -> None:
        self.huey = huey
        self._services = services
        self._worker: threading.Thread | None = None
        self._stop = threading.Event()
        self.relay: OutboxRelay | None = None

        @huey.task(retries=3, retry_delay=2, context=True, name="redbridge.run_job")  # type: ignore[untyped-decorator]
        def run_job(name: str, payload: dict[str, Any], task: Any = None) -> None:
            spec = _JOBS.get(name)
            if spec is None:
                log.error("unknown job %s dropped", name)
                return
            if task is not None:
                # Per-job retry policy on top of the one generic task: huey consults these
                # attributes when the call below raises.
                task.retries = min(task.retries, spec.retries)
                task.retry_delay = spec.retry_delay
            spec.fn(self._services, payload)

        self._run_job = run_job

    @property
    def services(self) -> Services:
        return self._services

    def enqueue(self, name: str, payload: dict[str, Any]) -> None:
        if name not in _JOBS:
            raise KeyError(f"no job named {name!r}")
        self._run_job(name, payload)

    def run_pending(self, limit: int = 10_000) -> int:
        """Run what is due now in this thread; returns how many tasks ran. Used by the embedded
        worker loop and by tests that want to drain the queue deterministically."""
        ran = 0
        for task in self.huey.read_schedule():
            self.huey.enqueue(task)
        while ran < limit:
            task = self.huey.dequeue()
            if task is None:
                break
            self.huey.execute(task)
            ran += 1
        return ran

    def _idle(self, seconds: float) -> None:
        # The relay's wake-up (a commit wrote outbox rows) ends the wait early: jobs start at once.
        if self.relay is not None and self.relay.enabled:
            self.relay.wait(seconds)
        else:
            self._stop.wait(seconds)

    def start_embedded_worker(self, poll_seconds: float = 0.05) -> None:
        relay = self.relay if self.relay is not None and self.relay.enabled else None

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    busy = relay.tick() if relay is not None else 0
                    if self.run_pending(limit=100) + busy == 0:
                        self._idle(poll_seconds)
                except Exception:
                    # A broken job must not kill the worker: huey has recorded the failure and
                    # scheduled the retry; keep consuming.
                    log.exception("embedded worker iteration failed")
                    self._stop.wait(poll_seconds)

        self._worker = threading.Thread(target=loop, name="redbridge-jobs", daemon=True)
        self._worker.start()

    def start_relay(self) -> None:
        """A relay thread of its own (redis mode; the embedded worker relays in its loop)."""
        if self.relay is not None:
            self.relay.start()

    def stop(self) -> None:
        self._stop.set()
        if self.relay is not None:
            self.relay.stop()  # also wakes the embedded worker's wait
        if self._worker is not None:
            self._worker.join(timeout=10)


def make_huey(mode: str, *, sqlite_path: str, redis_url: str) -> Any:
    if mode == "immediate":
        return MemoryHuey("redbridge", immediate=True, utc=True)
    if mode == "redis":
        return RedisHuey("redbridge", url=redis_url, utc=True)
    return SqliteHuey("redbridge", filename=sqlite_path, utc=True)
