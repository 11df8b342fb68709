"""What the outbox tests share: a recording job, writers, bounded polls. Importable by the child
processes of the fault tests, which must register the same subscribers to write the same rows."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func, select

from redbridge.core import events
from redbridge.core.jobs import job
from redbridge.core.outbox import EVENT_ID, OutboxRow
from redbridge.core.services import Services
from redbridge.settings import OutboxSettings, Settings

EVENT = "test.outbox.happened"
_lock = threading.Lock()
DELIVERED: list[int] = []  # the ``n`` of each delivery, in delivery order
EVENT_IDS: list[int] = []


@job("test.outbox.record", on=(EVENT,), retries=0)
def record(_services: Services, payload: dict[str, Any]) -> None:
    with _lock:
        DELIVERED.append(int(payload["n"]))
        EVENT_IDS.append(int(payload["event_id"]))


def reset() -> None:
    with _lock:
        DELIVERED.clear()
        EVENT_IDS.clear()


def delivered() -> Counter[int]:
    with _lock:
        return Counter(DELIVERED)


def commit_events(services: Services, numbers: range | list[int]) -> None:
    """One transaction per event, as one request per write."""
    for n in numbers:
        with services.sessions() as session:
            events.publish(session, EVENT, {"n": n})
            session.commit()


def pending(services: Services) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(OutboxRow)) or 0)


def attempted(services: Services) -> int:
    """Rows that a relay has claimed at least once and not marked sent."""
    with services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.attempts > 0)) or 0)


def wait_until(condition: Callable[[], bool], *, timeout: float = 60.0, step: float = 0.02,
               between: Callable[[], object] | None = None) -> None:
    """Poll ``condition`` (running ``between`` before each look) until true; fail after ``timeout``.
    The timeout only bounds a hung test: no assertion depends on how quickly it happened."""
    deadline = time.monotonic() + timeout
    while True:
        if between is not None:
            between()
        if condition():
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(step)


def paused(settings: Settings) -> Settings:
    """The settings with the relay off: committed events wait in the outbox for :func:`redeliver`."""
    return settings.model_copy(update={"outbox": OutboxSettings(relay=False)})


def redeliver(services: Services, *, between: Callable[[], object] | None = None) -> list[str]:
    """Deliver every waiting outbox row twice, as a relay that enqueued a batch and died before
    marking it sent, then its successor, would (``between`` runs after the first delivery); returns
    the jobs delivered. The rows are then gone."""
    with services.sessions() as session:
        rows = [(r.id, r.job, dict(r.payload)) for r in session.scalars(select(OutboxRow).order_by(OutboxRow.id))]
        session.execute(delete(OutboxRow))
        session.commit()
    for row_id, name, payload in rows:
        services.queue.enqueue(name, {**payload, EVENT_ID: row_id})
    if between is not None:
        between()
    for row_id, name, payload in rows:
        services.queue.enqueue(name, {**payload, EVENT_ID: row_id})
    return [name for _, name, _ in rows]
