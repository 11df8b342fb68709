"""The transactional outbox (core.outbox): rows commit with the change, never with a rollback; the
relay marks a row sent only once enqueued, backs off when the queue is down, and two relays on one
database deliver each event exactly once. Runs on SQLite and on PostgreSQL (SKIP LOCKED)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError

from redbridge.app import create_app
from redbridge.core import events
from redbridge.core.clock import SystemClock
from redbridge.core.outbox import OutboxRow
from redbridge.core.services import Services, build
from redbridge.ops.models import Heartbeat
from redbridge.settings import OutboxSettings, Settings
from tests.conftest import prepare_schema
from tests.core import outbox_helpers as h


@pytest.fixture(autouse=True)
def _reset() -> None:
    h.reset()


def with_outbox(settings: Settings, **outbox: Any) -> Settings:
    return settings.model_copy(update={"outbox": OutboxSettings(**outbox)})


@pytest.fixture
def built(settings: Settings) -> Iterator[list[Services]]:
    """Services built by the test (closed afterwards); each on the test's database."""
    made: list[Services] = []
    yield made
    for services in made:
        services.close()


def make(built: list[Services], settings: Settings) -> Services:
    services = build(settings)
    prepare_schema(services)
    built.append(services)
    return services


def relay_of(services: Services) -> Any:
    assert services.queue.relay is not None
    return services.queue.relay


def test_rows_commit_with_the_transaction_and_carry_an_event_id(settings: Settings, built: list[Services]) -> None:
    services = make(built, with_outbox(settings, relay=False))
    with services.sessions() as session:
        events.publish(session, h.EVENT, {"n": 1})
        assert h.pending(services) == 0  # not before the commit (another connection looks)
        session.commit()
    with services.sessions() as session:
        [row] = session.scalars(select(OutboxRow))
        assert (row.job, row.event, row.payload, row.attempts) == ("test.outbox.record", h.EVENT, {"n": 1}, 0)
    assert h.delivered() == {}  # relay paused: nothing delivered, the row waits
    assert relay_of(services).drain() == 1
    assert h.DELIVERED == [1]
    assert [row.id] == h.EVENT_IDS
    assert h.pending(services) == 0  # marked sent (deleted) once enqueued


def test_immediate_mode_relays_before_the_write_returns(settings: Settings, built: list[Services]) -> None:
    services = make(built, settings)
    h.commit_events(services, [1, 2])
    assert h.DELIVERED == [1, 2]
    assert h.pending(services) == 0


def test_a_rolled_back_transaction_writes_no_row_and_delivers_nothing(settings: Settings,
                                                                       built: list[Services]) -> None:
    services = make(built, settings)
    with services.sessions() as session:
        events.publish(session, h.EVENT, {"n": 1})
        session.rollback()
        session.commit()
    with services.sessions() as session:  # a failed commit rolls the rows back with the change
        session.add(Heartbeat(process="twin", at=SystemClock().now()))
        session.commit()
        session.add(Heartbeat(process="twin", at=SystemClock().now()))
        events.publish(session, h.EVENT, {"n": 2})
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
        session.commit()
    def failing_action() -> None:
        with services.sessions() as session, session.begin():
            events.publish(session, h.EVENT, {"n": 3})
            raise RuntimeError("the action failed")

    with pytest.raises(RuntimeError):  # an exception inside a write
        failing_action()
    assert relay_of(services).drain() == 0
    assert h.pending(services) == 0
    assert h.delivered() == {}


def test_a_session_closed_without_commit_and_used_again_sends_nothing_of_it(settings: Settings,
                                                                          built: list[Services]) -> None:
    services = make(built, settings)
    session = services.sessions()
    events.publish(session, h.EVENT, {"n": 1})
    session.close()  # no rollback event fires for this
    events.publish(session, h.EVENT, {"n": 2})
    session.commit()
    session.close()
    assert h.DELIVERED == [2]


def test_a_failed_enqueue_keeps_the_rows_and_backs_off(settings: Settings, built: list[Services],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    services = make(built, with_outbox(settings, relay=False, retry_base_s=0.05, retry_max_s=0.2))
    relay = relay_of(services)
    h.commit_events(services, range(5))
    real_enqueue = services.queue.enqueue
    calls: list[str] = []

    def down(name: str, payload: dict[str, Any]) -> None:
        calls.append(name)
        raise ConnectionError("queue unreachable")

    monkeypatch.setattr(services.queue, "enqueue", down)
    relay.wake()
    relay.tick()
    assert calls == ["test.outbox.record"]  # the first failure stops the batch: no hammering
    assert h.pending(services) == 5
    assert h.attempted(services) == 5
    relay.wake()  # commits keep waking the relay while the queue is down
    relay.tick()
    assert len(calls) == 1  # ... which holds off instead of spinning
    monkeypatch.setattr(services.queue, "enqueue", real_enqueue)

    def retry() -> None:
        relay.wake()
        relay.tick()

    h.wait_until(lambda: h.pending(services) == 0, between=retry)
    assert h.delivered() == dict.fromkeys(range(5), 1)


def test_a_row_naming_an_unknown_job_waits_for_a_relay_that_knows_it(settings: Settings,
                                                                     built: list[Services]) -> None:
    # As during a rolling deploy: a newer release wrote a job this relay's code does not have.
    services = make(built, with_outbox(settings, relay=False))
    h.commit_events(services, [1, 2])
    with services.sessions() as session:
        first = session.scalar(select(OutboxRow.id).order_by(OutboxRow.id))
        session.execute(update(OutboxRow).where(OutboxRow.id == first).values(job="test.outbox.newer"))
        session.commit()
    relay_of(services).drain()
    assert h.DELIVERED == [2]  # not held up behind it
    assert h.pending(services) == 1  # not dropped either
    with services.sessions() as session:  # "the newer release" relays it
        session.execute(update(OutboxRow).where(OutboxRow.id == first)
                        .values(job="test.outbox.record", available_at=SystemClock().now()))
        session.commit()
    relay_of(services).drain()
    assert h.DELIVERED == [2, 1]
    assert h.pending(services) == 0


def test_a_claim_abandoned_by_a_dead_relay_is_claimed_again(settings: Settings, built: list[Services]) -> None:
    services = make(built, with_outbox(settings, relay=False, claim_timeout_s=0.05))
    relay = relay_of(services)
    h.commit_events(services, [1])
    assert len(relay._claim()) == 1  # claimed, then "killed" before the enqueue
    assert relay._claim() == []  # nobody else takes a claimed row...
    h.wait_until(lambda: relay.drain() == 1)  # ... until its claim has lapsed
    assert h.delivered() == {1: 1}


def test_the_claim_skips_rows_other_relays_hold_on_postgresql() -> None:
    from redbridge.core.outbox import claim_statement

    sql = str(claim_statement(SystemClock().now(), 100, 30.0).compile(dialect=postgresql.dialect()))
    assert "FOR UPDATE SKIP LOCKED" in sql


def test_two_relays_deliver_each_event_exactly_once(settings: Settings, built: list[Services]) -> None:
    # Two Services on one database, as two app processes: a writer commits while both relay in
    # small batches, so their claims interleave. (SQLite serialises the claims with its write lock;
    # PostgreSQL runs them side by side, skipping each other's locked rows.)
    paused = with_outbox(settings, relay=False, batch_size=7)
    writer, first, second = make(built, paused), make(built, paused), make(built, paused)
    total = 200
    done = threading.Event()
    errors: list[BaseException] = []

    def relay_loop(services: Services) -> None:
        try:
            while not (done.is_set() and h.pending(services) == 0):
                relay_of(services).drain()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=relay_loop, args=(s,)) for s in (first, second)]
    for thread in threads:
        thread.start()
    try:
        h.commit_events(writer, range(total))
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == []
    assert h.delivered() == dict.fromkeys(range(total), 1)
    assert len(set(h.EVENT_IDS)) == total


def test_embedded_worker_is_woken_by_the_commit(settings: Settings) -> None:
    # Sweeps are far apart here: only the wake-up on commit can deliver within the test.
    app = create_app(with_outbox(settings, sweep_interval_s=3600).model_copy(update={"jobs_mode": "embedded"}),
                     SystemClock())
    prepare_schema(app.state.services)
    with TestClient(app):
        services: Services = app.state.services
        h.wait_until(lambda: relay_of(services)._next_sweep > 0)  # the start-up sweep has run
        h.commit_events(services, [1, 2, 3])
        h.wait_until(lambda: h.delivered() == {1: 1, 2: 1, 3: 1})
    assert h.pending(services) == 0


def test_metrics_report_pending_rows_and_lag(settings: Settings) -> None:
    app = create_app(with_outbox(settings, relay=False), SystemClock())
    prepare_schema(app.state.services)
    services: Services = app.state.services
    with TestClient(app) as client:
        assert "redbridge_outbox_pending 0.0" in client.get("/metrics").text
        assert "redbridge_outbox_lag_seconds 0.0" in client.get("/metrics").text
        h.commit_events(services, [1, 2, 3])
        body = client.get("/metrics").text
        assert "redbridge_outbox_pending 3.0" in body
        [lag] = [line for line in body.splitlines() if line.startswith("redbridge_outbox_lag_seconds ")]
        assert float(lag.split()[1]) > 0.0
        relay_of(services).drain()
        body = client.get("/metrics").text
        assert "redbridge_outbox_pending 0.0" in body
        assert "redbridge_outbox_lag_seconds 0.0" in body
