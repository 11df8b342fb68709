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


def publish(session: Session, name: str, payload: dict[str, Any]) -> None:
    session.info.setdefault(_KEY, []).append((name, payload))


def enqueue_after_commit(session: Session, job_name: str, payload: dict[str, Any]) -> None:
    """A single job (rather than an event's subscribers) to run after commit."""
    session.info.setdefault(_KEY, []).append(("job:" + job_name, payload))


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

    @event.listens_for(factory, "after_rollback")
    def _drop(session: Session) -> None:
        session.info.pop(_KEY, None)
