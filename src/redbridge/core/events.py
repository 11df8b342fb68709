"""Events published inside a transaction, delivered only after it commits (DESIGN rule 2).

``publish(session, "note.liked", {...})`` records the event on the session. When the session
commits, every job subscribed to the event is enqueued; when it rolls back, the events are
dropped. So a side effect (thumbnail, notification, counter, index) never runs for a write that
did not happen, and once enqueued it is durable and retried by the job queue.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from redbridge.core.jobs import JobQueue, subscribers

log = logging.getLogger("redbridge.events")
_KEY = "redbridge_events"


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


def wire(factory: sessionmaker[Session], queue: JobQueue) -> None:
    @event.listens_for(factory, "after_commit")
    def _deliver(session: Session) -> None:
        pending = session.info.pop(_KEY, [])
        for name, payload in pending:
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
