"""Events published inside a transaction, delivered only after it commits (DESIGN rule 2).

``publish(session, "note.liked", {...})`` records the event on the session. When the session
commits, every job subscribed to the event is enqueued; when it rolls back, the events are
dropped. So a side effect (thumbnail, notification, counter, index) never runs for a write that
did not happen, and once enqueued it is durable and retried by the job queue.

Commit hooks (``notify(session, "like.changed", {...})``, subscribed with ``@on_commit``) are the
synchronous counterpart, for cache invalidation: they run in the committing thread right after
the commit and before the request answers, so the caller's very next request (on any process
sharing the cache) sees the write. A queued job would leave a window in which, say, a revoked
token still works.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from redbridge.core.jobs import JobQueue, subscribers

if TYPE_CHECKING:
    from redbridge.services import Services

log = logging.getLogger("redbridge.events")
_KEY = "redbridge_events"
_READY = "redbridge_events_committed"
_HOOK = "hook:"
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


def _record(session: Session, entry: tuple[str, dict[str, Any]]) -> None:
    # Events belong to a transaction; open one if needed so that a rollback (which is a no-op,
    # firing no hooks, on a session without one) still discards them.
    if not session.in_transaction():
        session.begin()
    session.info.setdefault(_KEY, []).append(entry)


def publish(session: Session, name: str, payload: dict[str, Any]) -> None:
    _record(session, (name, payload))


def enqueue_after_commit(session: Session, job_name: str, payload: dict[str, Any]) -> None:
    """A single job (rather than an event's subscribers) to run after commit."""
    _record(session, ("job:" + job_name, payload))


def notify(session: Session, name: str, payload: dict[str, Any]) -> None:
    """Run the ``name`` hooks in this process right after the transaction commits (not at all if it
    rolls back)."""
    _record(session, (_HOOK + name, payload))


def wire(factory: sessionmaker[Session], queue: JobQueue) -> None:
    # Delivery waits for the end of the transaction, not its commit: ``after_commit`` fires while
    # the session still holds its connection, and hooks and immediate jobs open sessions of their
    # own — a second connection per request, which is how a crowd can empty the pool with every
    # holder waiting for one more (see ``core.admission``). By ``after_transaction_end`` the
    # connection is back in the pool.
    @event.listens_for(factory, "after_commit")
    def _committed(session: Session) -> None:
        pending = session.info.pop(_KEY, [])
        if pending:
            session.info.setdefault(_READY, []).extend(pending)

    @event.listens_for(factory, "after_transaction_end")
    def _deliver(session: Session, transaction: Any) -> None:
        if transaction.parent is not None:
            return
        pending = session.info.pop(_READY, [])
        for name, payload in pending:
            if name.startswith(_HOOK):
                for fn in _HOOKS.get(name[len(_HOOK):], ()):
                    try:
                        fn(queue.services, payload)
                    except Exception:
                        # The write has committed: it must not fail now. The caches involved
                        # all expire on their own (short TTLs) as the fallback.
                        log.exception("commit hook %s failed", name)
                continue
            targets = [name[4:]] if name.startswith("job:") else subscribers(name)
            for job_name in targets:
                try:
                    queue.enqueue(job_name, payload)
                except Exception:
                    # Immediate mode runs the job right here; a failure there must not undo or
                    # fail the committed request. Queued modes record and retry failures.
                    log.exception("job %s for %s failed", job_name, name)

    # after_soft_rollback, not after_rollback: the latter only fires when a database transaction
    # was really open, so events published on a session that had not touched the database yet
    # would survive a rollback and go out with the next commit.
    @event.listens_for(factory, "after_soft_rollback")
    def _drop(session: Session, previous_transaction: Any) -> None:
        if previous_transaction.parent is None:
            session.info.pop(_KEY, None)
