"""Jobs and after-commit events on every queue mode: immediate, embedded SQLite, Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from redbridge.core import events
from redbridge.core.jobs import job
from redbridge.core.services import Services, build
from redbridge.models import Base
from redbridge.settings import Settings
from tests.conftest import fast_passwords
from tests.servers import RedisServer, start_redis

CALLS: list[tuple[str, Any]] = []
FAILURES_LEFT: dict[str, int] = {}


@job("test.record", on=("test.happened",), retries=0)
def record(_services: Services, payload: dict[str, Any]) -> None:
    CALLS.append(("record", payload["n"]))


@job("test.flaky", retries=3, retry_delay=0)
def flaky(_services: Services, payload: dict[str, Any]) -> None:
    key = str(payload["key"])
    if FAILURES_LEFT.get(key, 0) > 0:
        FAILURES_LEFT[key] -= 1
        raise RuntimeError("transient failure")
    CALLS.append(("flaky", key))


@pytest.fixture(autouse=True)
def _reset() -> None:
    CALLS.clear()
    FAILURES_LEFT.clear()


def make(tmp_path: Path, mode: str, redis_url: str = "") -> Services:
    settings = Settings(var_dir=tmp_path, jobs_mode=mode, redis_url=redis_url, secret_key="x",  # type: ignore[arg-type]
                        passwords=fast_passwords())
    services = build(settings)
    Base.metadata.create_all(services.engine)  # the outbox lives in the database
    return services


def test_events_run_only_after_commit(tmp_path: Path) -> None:
    services = make(tmp_path, "immediate")
    try:
        with services.sessions() as session:
            events.publish(session, "test.happened", {"n": 1})
            assert CALLS == []  # nothing before commit
            session.commit()
        assert CALLS == [("record", 1)]
        with services.sessions() as session:
            events.publish(session, "test.happened", {"n": 2})
            session.rollback()
            session.commit()
        assert CALLS == [("record", 1)]  # the rolled-back event was dropped
    finally:
        services.close()


def test_embedded_queue_is_durable_across_restarts_and_retries(tmp_path: Path) -> None:
    first = make(tmp_path, "embedded")
    FAILURES_LEFT["a"] = 2
    first.queue.enqueue("test.flaky", {"key": "a"})
    first.close()  # "crash" before any worker ran it
    assert CALLS == []

    second = make(tmp_path, "embedded")
    try:
        for _ in range(5):
            second.queue.run_pending()
        assert CALLS == [("flaky", "a")]  # ran after two failures, exactly once
        assert FAILURES_LEFT["a"] == 0
    finally:
        second.close()


def test_unknown_job_name_is_refused(tmp_path: Path) -> None:
    services = make(tmp_path, "immediate")
    try:
        with pytest.raises(KeyError):
            services.queue.enqueue("no.such.job", {})
    finally:
        services.close()


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with start_redis(tmp_path_factory.mktemp("jobs-redis")) as server:
        yield server


def test_redis_queue_hands_jobs_to_another_process_worker(tmp_path: Path, redis: RedisServer) -> None:
    producer = make(tmp_path / "p", "redis", redis.url)
    consumer = make(tmp_path / "c", "redis", redis.url)
    try:
        with producer.sessions() as session:
            events.publish(session, "test.happened", {"n": 7})
            session.commit()
        assert CALLS == []  # in the producer's outbox, not run by the producer
        assert producer.queue.relay is not None
        producer.queue.relay.drain()  # what the producer's relay thread does when woken
        assert CALLS == []  # queued in Redis, not run by the producer
        assert consumer.queue.run_pending() == 1
        assert CALLS == [("record", 7)]
    finally:
        producer.close()
        consumer.close()
