"""``core.db.write``: the one write transaction every action uses (both backends).

It commits a block that ends normally; it rolls back a block that raises — an ``AppError`` or
anything else — releasing the write lock at once, so another writer proceeds right away (on
SQLite: no 'database is locked', no wait for the busy timeout); events and commit hooks of a
rolled-back block are dropped; nesting is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from redbridge.core import events
from redbridge.core.db import NestedWriteError, write
from redbridge.core.errors import AppError, not_found
from redbridge.core.jobs import job
from redbridge.core.services import Services
from redbridge.engagement import actions as engagement
from redbridge.engagement.models import Collection
from redbridge.engagement.schemas import CollectionCreate
from redbridge.ops.models import Heartbeat
from tests.factories import Factory

# Well under SQLite's 30 s busy timeout: a second writer that got through only because the
# first one's lock timed out would fail here.
PROMPTLY_S = 5.0
EVENT = "tests.transactions.happened"
HOOK = "tests.transactions.hook"
DELIVERED: list[int] = []
HOOKED: list[int] = []


@job("tests.transactions.probe", on=(EVENT,), retries=0)
def _probe(_services: Services, payload: dict[str, Any]) -> None:
    DELIVERED.append(int(payload["n"]))


@events.on_commit(HOOK)
def _hook(_services: Services, payload: dict[str, Any]) -> None:
    HOOKED.append(int(payload["n"]))


@pytest.fixture(autouse=True)
def _reset() -> None:
    DELIVERED.clear()
    HOOKED.clear()


def _nothing() -> None:
    pass


def _now() -> datetime:
    return datetime.now(UTC)


def _heartbeats(services: Services) -> set[str]:
    with services.sessions() as session:
        return set(session.scalars(select(Heartbeat.process)))


def _write_heartbeat(services: Services, process: str) -> None:
    with services.sessions() as session, write(session):
        session.add(Heartbeat(process=process, at=_now()))


def _promptly(fn: Callable[[], None]) -> None:
    """Run ``fn`` (a write from another session) on another thread; fail if it has to wait."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        pool.submit(fn).result(timeout=PROMPTLY_S)
    finally:
        pool.shutdown(wait=False)


def _failing_block(session: Session, error: Exception, process: str = "", during: Callable[[], None] = _nothing,
                   *, publish: bool = False) -> None:
    """A write block that inserts ``process`` (flushed: in the database, uncommitted, and locked
    on PostgreSQL), optionally publishes, runs ``during`` and then raises ``error``."""
    with write(session):
        if process:
            session.add(Heartbeat(process=process, at=_now()))
            session.flush()
        if publish:
            events.publish(session, EVENT, {"n": 1})
            events.notify(session, HOOK, {"n": 1})
        during()
        raise error


def test_a_block_that_ends_normally_commits(services: Services) -> None:
    with services.sessions() as session:
        with write(session):
            session.add(Heartbeat(process="committed", at=_now()))
        assert not session.in_transaction()
    assert _heartbeats(services) == {"committed"}


@pytest.mark.parametrize("error", [not_found("note"), ValueError("a bug")], ids=["AppError", "other"])
def test_a_block_that_raises_rolls_back_and_releases_the_lock(services: Services, error: Exception) -> None:
    with services.sessions() as session:
        with pytest.raises(type(error)) as raised:
            _failing_block(session, error, "same")
        assert raised.value is error  # re-raised as it was
        assert not session.in_transaction()
        # The session is still open: only the rollback can have released the lock. The same key,
        # so on PostgreSQL an uncommitted row would make this insert wait too.
        _promptly(lambda: _write_heartbeat(services, "same"))
        # And the session itself can write again.
        with write(session):
            session.add(Heartbeat(process="again", at=_now()))
    assert _heartbeats(services) == {"same", "again"}


def test_another_writer_waits_while_a_block_is_open_and_not_after(services: Services) -> None:
    """The other half of the test above: the lock is really held inside the block, so a second
    writer waiting there proves the probe would catch a lock left behind."""
    pool = ThreadPoolExecutor(max_workers=1)
    second: list[Future[None]] = []

    def contend() -> None:
        second.append(pool.submit(_write_heartbeat, services, "contended"))
        with pytest.raises(FutureTimeout):
            second[0].result(timeout=0.5)  # blocked by this open write transaction

    try:
        with services.sessions() as session, pytest.raises(AppError):
            _failing_block(session, not_found("note"), "contended", contend)
        second[0].result(timeout=PROMPTLY_S)  # through as soon as the block rolled back
    finally:
        pool.shutdown(wait=False)
    assert _heartbeats(services) == {"contended"}


def test_events_and_hooks_of_a_rolled_back_block_are_dropped(services: Services) -> None:
    with services.sessions() as session:
        with pytest.raises(AppError):
            _failing_block(session, not_found("note"), publish=True)
        with write(session):
            events.publish(session, EVENT, {"n": 2})
            events.notify(session, HOOK, {"n": 2})
            assert DELIVERED == []  # nothing before the commit
            assert HOOKED == []
    # Jobs run in immediate mode here: the committed event is delivered, the rolled-back one never.
    assert DELIVERED == [2]
    assert HOOKED == [2]


def _nested(session: Session) -> None:
    with write(session):
        session.add(Heartbeat(process="outer", at=_now()))
        session.flush()
        events.notify(session, HOOK, {"n": 1})
        with write(session):  # would commit the outer half-done work if it were allowed
            session.add(Heartbeat(process="inner", at=_now()))


def _commit_by_hand(session: Session) -> None:
    with write(session):
        session.add(Heartbeat(process="by-hand", at=_now()))
        session.commit()


def test_a_nested_write_is_refused_and_rolls_the_outer_block_back(services: Services) -> None:
    with services.sessions() as session:
        with pytest.raises(NestedWriteError):
            _nested(session)
        assert not session.in_transaction()
        with write(session):  # the refusal left the session usable
            session.add(Heartbeat(process="after", at=_now()))
    assert _heartbeats(services) == {"after"}
    assert HOOKED == []


def test_committing_by_hand_inside_the_block_is_reported(services: Services) -> None:
    with services.sessions() as session, pytest.raises(NestedWriteError):
        _commit_by_hand(session)


def test_a_session_that_read_first_still_gets_a_write_transaction(services: Services) -> None:
    _write_heartbeat(services, "seen")
    with services.sessions() as session:
        assert session.scalar(select(Heartbeat.process)) == "seen"  # a read transaction is open
        with write(session):
            session.add(Heartbeat(process="written", at=_now()))
    assert _heartbeats(services) == {"seen", "written"}


def test_an_action_that_fails_at_commit_rolls_back_and_answers_409(services: Services, factory: Factory) -> None:
    """A unique key broken at the flush/commit (two collections of one name) rolls back inside
    ``write`` and comes out as the action's 409; the session is left clean for the next write."""
    owner = factory.user().int_id
    with services.sessions() as session:
        engagement.create_collection(session, owner, CollectionCreate(name="Trips"), _now())
        with pytest.raises(AppError) as raised:
            engagement.create_collection(session, owner, CollectionCreate(name="Trips"), _now())
        assert (raised.value.code, raised.value.status) == ("collection.name_taken", 409)
        assert not session.in_transaction()
        _promptly(lambda: _write_heartbeat(services, "after-409"))
        engagement.create_collection(session, owner, CollectionCreate(name="Food"), _now())
    with services.sessions() as session:
        names = set(session.scalars(select(Collection.name).where(Collection.owner_id == owner)))
    assert names == {"Trips", "Food"}
