"""Events published inside a transaction and written to the outbox in it (DESIGN rule 2).

``publish(session, "note.liked", {...})`` adds one outbox row per subscribed job to the session's
transaction (``core.outbox``): the rows commit with the change or vanish with it. After the
transaction ends, the relay moves them to the job queue — at least once, never for a rollback —
so every job is idempotent (it receives ``payload["event_id"]`` to de-duplicate on).

Commit hooks (``notify(session, "like.changed", {...})``, subscribed with ``@on_commit``) are the
synchronous counterpart, for cache invalidation: they run in the committing thread right after
the transaction ends and before the request answers, so the caller's very next request (on any
process sharing the cache) sees the write. They are not in the outbox: a queued job would leave
a window in which, say, a revoked token still works, and a hook lost to a crash in that instant
costs only a stale cache entry until its TTL (docs/jobs-and-events.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from redbridge.core import outbox
from redbridge.core.clock import SystemClock
from redbridge.core.jobs import JobQueue, registered, subscribers

if TYPE_CHECKING:
    from redbridge.core.services import Services

log = logging.getLogger("redbridge.events")
_KEY = "redbridge_events"  # commit hooks of the open transaction
_READY = "redbridge_events_committed"  # ... of the committed one, run at its end
_ROWS = "redbridge_outbox"  # outbox entries of the open transaction, written at before_commit
_WROTE = "redbridge_outbox_written"  # this transaction wrote outbox rows: wake the relay at its end
HookFn = Callable[["Services", dict[str, Any]], None]
_HOOKS: dict[str, list[HookFn]] = {}


def on_commit(name: str) -> Callable[[HookFn], HookFn]:
    """Subscribe ``fn`` to the commit hook ``name`` (see :func:`notify`)."""

    def register(fn: HookFn) -> HookFn:
        subs = _HOOKS.setdefault(name, [])
        if fn not in subs:
            subs.append(fn)
        return fn

    return register


def _open(session: Session) -> None:
    # Events belong to a transaction; open one if needed so that a rollback (which is a no-op,
    # firing no hooks, on a session without one) still discards them.
    if not session.in_transaction():
        session.begin()


def _add_rows(session: Session, entries: list[outbox.Entry]) -> None:
    _open(session)
    session.info.setdefault(_ROWS, []).extend(entries)


def publish(session: Session, name: str, payload: dict[str, Any]) -> None:
    """Run every job subscribed to ``name`` once this transaction has committed (at least once)."""
    _add_rows(session, [outbox.Entry(job, name, payload) for job in subscribers(name)])


def enqueue_after_commit(session: Session, job_name: str, payload: dict[str, Any]) -> None:
    """A single job (rather than an event's subscribers) to run after commit (at least once)."""
    if job_name not in registered():
        raise KeyError(f"no job named {job_name!r}")  # here, at the write, not in the relay later
    _add_rows(session, [outbox.Entry(job_name, "job:" + job_name, payload)])


def notify(session: Session, name: str, payload: dict[str, Any]) -> None:
    """Run the ``name`` hooks in this process right after the transaction commits (not at all if it
    rolls back). In memory only: not durable (see the module docstring)."""
    _open(session)
    session.info.setdefault(_KEY, []).append((name, payload))


def wire(factory: sessionmaker[Session], queue: JobQueue) -> outbox.OutboxRelay:
    """Write the sessions' outbox rows at commit, run their hooks and wake the relay (returned, and
    attached to ``queue``) when their transactions end."""
    settings = queue.services.settings
    relay = outbox.OutboxRelay(factory, queue, settings.outbox)
    queue.relay = relay
    # Tests and scripts: relay (and so run the jobs) before the request answers, as before the outbox.
    inline = settings.jobs_mode == "immediate" and relay.enabled
    clock = SystemClock()  # outbox timing is real time (see core.outbox)

    @event.listens_for(factory, "before_commit")
    def _write_outbox(session: Session) -> None:
        entries = session.info.pop(_ROWS, None)
        if entries:
            outbox.write(session, entries, clock.now())
            session.info[_WROTE] = True

    # Delivery waits for the end of the transaction, not its commit: ``after_commit`` fires while
    # the session still holds its connection, and hooks and the relay open sessions of their own —
    # a second connection per request, which is how a crowd can empty the pool with every holder
    # waiting for one more (see ``core.admission``). By ``after_transaction_end`` the connection is
    # back in the pool.
    @event.listens_for(factory, "after_commit")
    def _committed(session: Session) -> None:
        pending = session.info.pop(_KEY, [])
        if pending:
            session.info.setdefault(_READY, []).extend(pending)

    @event.listens_for(factory, "after_transaction_end")
    def _deliver(session: Session, transaction: Any) -> None:
        if transaction.parent is not None:
            return
        # Entries still pending belong to a transaction that ended without committing them — closed
        # rather than rolled back (``Session.close`` fires no rollback event): a later transaction
        # of the same session must not send them.
        session.info.pop(_ROWS, None)
        session.info.pop(_KEY, None)
        for name, payload in session.info.pop(_READY, []):
            for fn in _HOOKS.get(name, ()):
                try:
                    fn(queue.services, payload)
                except Exception:
                    # The write has committed: it must not fail now. The caches involved
                    # all expire on their own (short TTLs) as the fallback.
                    log.exception("commit hook %s failed", name)
        if not session.info.pop(_WROTE, False):
            return
        if not inline:
            relay.wake()
            return
        try:
            relay.drain(peek=False)
        except Exception:
            # The rows are committed and stay for the next pass; the request has succeeded.
            log.exception("inline outbox relay failed")

    # after_soft_rollback, not after_rollback: the latter only fires when a database transaction
    # was really open, so events published on a session that had not touched the database yet
    # would survive a rollback and go out with the next commit.
    @event.listens_for(factory, "after_soft_rollback")
    def _drop(session: Session, previous_transaction: Any) -> None:
        if previous_transaction.parent is None:
            session.info.pop(_KEY, None)
            session.info.pop(_ROWS, None)
            # A failed COMMIT after the rows were written rolls them back too.
            session.info.pop(_WROTE, None)

    return relay
