"""The transactional outbox: events as rows committed with the change, relayed to the job queue.

Contract (docs/jobs-and-events.md):

* :func:`write` inserts one row per job to run, in the caller's transaction (``core.events`` calls
  it at ``before_commit``). A committed transaction has its rows; a rolled-back one has none.
* :class:`OutboxRelay` claims due rows, enqueues each to the job queue and deletes it only once the
  enqueue succeeded. A failed enqueue leaves the row for a later attempt (doubling backoff); a relay
  that dies mid-batch leaves its claimed rows to be claimed again after ``claim_timeout_s``. Hence
  at least once, never zero times — so jobs are idempotent, and each receives the row's id as
  ``payload["event_id"]`` to de-duplicate on.
* Several relays may run at once (every app process and ``redbridge worker`` in cluster mode): the
  claim takes rows with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, and is a write transaction on
  SQLite, where writers are serial. A claimed row is pushed ``claim_timeout_s`` into the future, so
  no other relay takes it while its claimer delivers.

The claim is committed before the enqueue, not held open across it: on SQLite an open write
transaction would stall every writer for the enqueue's duration, and in ``immediate`` mode the
enqueue runs the job itself, whose own write would wait for the claim's lock forever.

Outbox timing (due, claimed, retry) is on the real clock: it measures how long delivery takes, and a
test's frozen business clock must not stop delivery.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy import JSON, Index, Integer, String, delete, func, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from redbridge.core.clock import Clock, SystemClock
from redbridge.core.db import Base, IdType, UTCDateTime, begin_write
from redbridge.settings import OutboxSettings

if TYPE_CHECKING:
    from redbridge.core.jobs import JobQueue

log = logging.getLogger("redbridge.outbox")

EVENT_ID = "event_id"  # the payload key under which a job receives its row's id


class OutboxRow(Base):
    """One job to enqueue, written with the transaction that caused it."""

    __tablename__ = "outbox"
    # AUTOINCREMENT on SQLite: a plain rowid is reused once the highest row is deleted, and a job
    # that de-duplicates on the event id would then skip a later, different event.
    __table_args__ = (Index("ix_outbox_available_at", "available_at"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(120))
    event: Mapped[str] = mapped_column(String(120))  # what caused it, for logs ("job:" for direct jobs)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When a relay may take the row: at creation, after a claim (claimed until), after a failure (retry at).
    available_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


@dataclass(frozen=True)
class Entry:
    job: str
    event: str
    payload: dict[str, Any]


def write(session: Session, entries: Sequence[Entry], now: datetime) -> None:
    """Insert the rows in the session's current transaction (one statement)."""
    session.execute(insert(OutboxRow), [
        {"job": e.job, "event": e.event, "payload": e.payload, "created_at": now, "available_at": now, "attempts": 0}
        for e in entries
    ])


def stats(session: Session, now: datetime) -> tuple[int, float]:
    """(rows not yet sent, age in seconds of the oldest of them — 0 when there is none)."""
    count, oldest = session.execute(select(func.count(), func.min(OutboxRow.created_at))).one()
    if count == 0:
        return 0, 0.0
    return int(count), max((now - oldest).total_seconds(), 0.0)


def claim_statement(now: datetime, batch_size: int, claim_timeout_s: float) -> Any:
    """Take up to ``batch_size`` due rows: push them ``claim_timeout_s`` ahead and return them.

    On PostgreSQL the rows are picked ``FOR UPDATE SKIP LOCKED``: a concurrent relay skips the rows
    this one is claiming instead of waiting for them (or claiming them too), and once this commits
    their ``available_at`` is in the future. SQLite has no row locks and needs none: the claim runs
    in a write transaction, and those are serial.
    """
    due = (select(OutboxRow.id).where(OutboxRow.available_at <= now).order_by(OutboxRow.id)
           .limit(batch_size).with_for_update(skip_locked=True))
    return (
        update(OutboxRow).where(OutboxRow.id.in_(due.scalar_subquery()))
        .values(available_at=now + timedelta(seconds=claim_timeout_s), attempts=OutboxRow.attempts + 1)
        .returning(OutboxRow.id, OutboxRow.job, OutboxRow.payload, OutboxRow.attempts)
        .execution_options(synchronize_session=False)
    )


class OutboxRelay:
    """Moves outbox rows to the job queue. Runs in the embedded worker thread (:meth:`tick`), in a
    thread of its own (:meth:`start`, redis mode), or inline at the end of a transaction
    (:meth:`drain`, immediate mode). Never runs inside a request's transaction."""

    def __init__(self, sessions: sessionmaker[Session], queue: JobQueue, settings: OutboxSettings,
                 clock: Clock | None = None) -> None:
        self._sessions = sessions
        self._queue = queue
        self._settings = settings
        self._clock = clock or SystemClock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_sweep = 0.0
        self._hold_until = 0.0  # after a failed enqueue: no attempt before this (monotonic)
        self._failures = 0

    @property
    def enabled(self) -> bool:
        return self._settings.relay

    def backoff(self, attempts: int) -> float:
        s = self._settings
        return float(min(s.retry_max_s, s.retry_base_s * 2 ** max(attempts - 1, 0)))

    # ------------------------------------------------------------------------------- one batch

    def _due(self) -> bool:
        # A plain read first: an idle sweep must not take SQLite's write lock every second.
        with self._sessions() as session:
            return session.scalar(
                select(OutboxRow.id).where(OutboxRow.available_at <= self._clock.now()).limit(1)
            ) is not None

    def _claim(self) -> list[tuple[int, str, dict[str, Any], int]]:
        settings = self._settings
        with self._sessions() as session:
            begin_write(session)
            rows = session.execute(claim_statement(self._clock.now(), settings.batch_size, settings.claim_timeout_s)).all()
            session.commit()
        return sorted((int(i), str(j), dict(p), int(a)) for i, j, p, a in rows)

    def _finish(self, sent: list[int], retry: dict[float, list[int]]) -> None:
        """Delete the rows enqueued; make the others due again after their backoff (seconds → ids)."""
        with self._sessions() as session:
            begin_write(session)
            if sent:
                session.execute(delete(OutboxRow).where(OutboxRow.id.in_(sent))
                                .execution_options(synchronize_session=False))
            now = self._clock.now()
            for seconds, row_ids in retry.items():
                session.execute(update(OutboxRow).where(OutboxRow.id.in_(row_ids))
                                .values(available_at=now + timedelta(seconds=seconds))
                                .execution_options(synchronize_session=False))
            session.commit()

    def relay_once(self) -> int:
        """Claim and deliver one batch; returns how many rows it claimed (sent or not)."""
        claimed = self._claim()
        if not claimed:
            return 0
        sent: list[int] = []
        retry: dict[float, list[int]] = {}
        queue_down = False
        for position, (row_id, job_name, payload, attempts) in enumerate(claimed):
            try:
                self._queue.enqueue(job_name, {**payload, EVENT_ID: row_id})
            except KeyError:
                # A job this process does not know: written by a newer release during a rolling
                # deploy, or removed since. It stays for a relay that knows it (never dropped: the
                # lag gauge shows it) and does not hold up the rows behind it.
                log.error("outbox row %s names unknown job %s: left for another relay", row_id, job_name)
                retry.setdefault(self.backoff(attempts), []).append(row_id)
            except Exception:
                # The queue is down (Redis unreachable, disk full): this and the rest of the batch
                # stay, to be retried after a backoff rather than hammered.
                rest = [r[0] for r in claimed[position:]]
                retry.setdefault(self.backoff(attempts), []).extend(rest)
                log.warning("enqueue of outbox row %s (%s) failed; %d row(s) retried later",
                            row_id, job_name, len(rest), exc_info=True)
                queue_down = True
                break
            else:
                sent.append(row_id)
        self._finish(sent, retry)
        if queue_down:
            self._failures += 1
            self._hold_until = time.monotonic() + self.backoff(self._failures)
        else:
            self._failures = 0
        return len(claimed)

    def drain(self, *, peek: bool = True) -> int:
        """Relay batches until nothing is due or an enqueue fails; returns rows claimed.
        ``peek=False`` skips the read that checks for due rows (the caller knows there are)."""
        total = 0
        if peek and not self._due():
            return 0
        while not self._stop.is_set():
            claimed = self.relay_once()
            total += claimed
            if claimed < self._settings.batch_size or self._failures:
                break
        return total

    # --------------------------------------------------------------------------- scheduling

    def wake(self) -> None:
        """Ask the relay thread for a pass now (a transaction wrote rows)."""
        self._wake.set()

    def wait(self, timeout: float) -> None:
        self._wake.wait(timeout)

    def tick(self) -> int:
        """A pass if woken or a sweep is due, unless holding off after a failure; never raises."""
        now = time.monotonic()
        if not self._wake.is_set() and now < self._next_sweep:
            return 0
        if now < self._hold_until:
            # Don't spin on a queue that is down: commits keep waking us, the rows keep waiting.
            self._wake.clear()
            return 0
        woken = self._wake.is_set()
        self._wake.clear()
        self._next_sweep = now + self._settings.sweep_interval_s
        try:
            return self.drain(peek=not woken)
        except Exception:
            # The database itself failed (the enqueue's failures are handled in relay_once): the
            # rows are safe where they are; the next sweep tries again.
            log.exception("outbox relay pass failed")
            self._hold_until = time.monotonic() + self.backoff(self._failures + 1)
            return 0

    def start(self) -> None:
        """Relay in a thread of this process (redis mode: every app process and worker)."""
        if not self.enabled or self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.is_set():
                self.tick()
                self._wake.wait(self._settings.sweep_interval_s)

        self._thread = threading.Thread(target=loop, name="redbridge-outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


class OutboxGauges:
    """``redbridge_outbox_pending`` and ``redbridge_outbox_lag_seconds``, measured at each scrape
    on a thread of their own (the event loop never waits on the database; a hung database leaves
    the last values rather than hanging the scrape)."""

    TIMEOUT_S = 2.0

    def __init__(self, registry: CollectorRegistry, sessions: sessionmaker[Session], clock: Clock | None = None) -> None:
        self._sessions = sessions
        self._clock = clock or SystemClock()
        self._pending = Gauge("redbridge_outbox_pending", "Outbox rows not yet relayed to the job queue",
                              registry=registry)
        self._lag = Gauge("redbridge_outbox_lag_seconds",
                          "Age of the oldest outbox row not yet relayed (0 when none)", registry=registry)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-metrics")

    def measure(self) -> None:
        with self._sessions() as session:
            count, lag = stats(session, self._clock.now())
        self._pending.set(count)
        self._lag.set(lag)

    async def refresh(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(loop.run_in_executor(self._pool, self.measure), self.TIMEOUT_S)
        except Exception:
            # The scrape still answers, with the previous figures.
            log.warning("outbox gauges not refreshed", exc_info=True)

    def close(self) -> None:
        self._pool.shutdown(wait=False)
