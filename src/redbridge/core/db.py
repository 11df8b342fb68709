"""Database engine, sessions and the column types every feature shares.

Transactions: an action owns its transaction, and writes it one way: ``with write(session):``
(see :func:`write` for the rules every action follows). On SQLite the write transaction is
``BEGIN IMMEDIATE`` (:func:`begin_write`): WAL lets readers run alongside one writer, and taking
the write lock up front avoids the ``SQLITE_BUSY_SNAPSHOT`` failure a deferred transaction hits
when it upgrades from read to write. Reads use ordinary deferred transactions.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

from redbridge.core.admission import current_slot
from redbridge.settings import Settings

log = logging.getLogger("redbridge.db")

# Connections beyond the admitted requests: the embedded job worker, the readiness check, and
# one spare for CLI or start-up work running beside a serving app.
RESERVED_CONNECTIONS = 3
# Never reached by construction (see ``pool_capacity``); a short timeout turns a bug into a quick
# error in the log instead of a 30-second stall.
POOL_TIMEOUT_S = 5.0


class SecondConnectionError(RuntimeError):
    """A request asked for a database connection while it already held one: with enough such
    requests at once the pool runs dry and they wait on each other (the deadlock this rules out)."""

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# On SQLite an ``INTEGER PRIMARY KEY`` is the rowid itself (no second index); BIGINT elsewhere.
IdType = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both engines (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def pool_capacity(settings: Settings) -> int:
    """Connections per process: one for every request admission control lets in (each needs at
    most one at a time, which :func:`_guard_one_connection` checks) plus the reserved ones. So an
    admitted request never waits for a connection, and never while holding one."""
    return settings.capacity.max_inflight + RESERVED_CONNECTIONS


def make_engine(settings: Settings) -> Engine:
    url = settings.resolved_database_url
    size = pool_capacity(settings)
    if url.startswith("sqlite"):
        if ":memory:" not in url:
            settings.var_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=size, max_overflow=0, pool_timeout=POOL_TIMEOUT_S,
        )
        _configure_sqlite(engine)
    else:
        engine = create_engine(url, pool_size=size, max_overflow=0, pool_timeout=POOL_TIMEOUT_S,
                               pool_pre_ping=True)
    _guard_one_connection(engine, strict=settings.env != "prod")
    return engine


def _guard_one_connection(engine: Engine, strict: bool) -> None:
    """Count the connections each admitted request holds (``core.admission.current_slot``); a
    second one at once is refused outside production (tests and dev find the path) and logged
    in production."""

    @event.listens_for(engine, "checkout")
    def _checkout(_dbapi: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        slot = current_slot.get()
        if slot is None:
            return  # jobs, hooks outside a request, the CLI
        if slot.connections >= 1:
            log.error("a request asked for a second database connection while holding one")
            if strict:
                raise SecondConnectionError("a request may hold one database connection at a time")
        slot.connections += 1
        record.info["redbridge_slot"] = slot

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi: Any, record: ConnectionPoolEntry) -> None:
        slot = record.info.pop("redbridge_slot", None)
        if slot is not None:
            slot.connections -= 1


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
        # Take transaction control away from the driver so BEGIN can be chosen per transaction.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")  # durable across app crashes in WAL mode
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        # 16 MiB of page cache per connection: the pool holds one per admitted request.
        cur.execute("PRAGMA cache_size=-16384")
        cur.execute("PRAGMA mmap_size=268435456")
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("redbridge_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def begin_write(session: Session) -> None:
    """Open the session's transaction as a write transaction (must be its first statement).

    A session that already read in this request is reset first: the write must not be built on a
    snapshot taken before the write lock was held.
    """
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={"redbridge_write": True})


_WRITING = "redbridge_write_open"  # session.info: a ``write`` block is open on this session


class NestedWriteError(RuntimeError):
    """``write`` was entered on a session already inside a ``write`` block: beginning again would
    commit the outer block's half-done work (see :func:`begin_write`), so it is refused."""


@contextmanager
def write(session: Session) -> Iterator[None]:
    """The action's one write transaction: begun on entry (:func:`begin_write`), committed when
    the block ends normally, rolled back when anything in it raises — an ``AppError`` (not found,
    forbidden, blocked, a conflict) as much as a bug — and the exception re-raised. The rollback
    ends the transaction, so SQLite's write lock (and PostgreSQL's row locks) are released at once,
    before the error is rendered. A failing COMMIT (say a unique key lost to a concurrent request)
    rolls back too; catch ``IntegrityError`` *around* the block to turn it into a 409.

    The rules every action follows (``*/actions.py``, and the jobs that write):

    1. **One write transaction per action**, all of it inside one ``with write(session):``. A
       helper that writes "in the caller's transaction" (``release_note_in_tx``,
       ``media.actions.attach``) opens none. Entering ``write`` inside an open ``write`` block on
       the same session raises :class:`NestedWriteError` (which, raised inside the outer block,
       rolls it back). Committing or rolling back by hand inside the block is reported the same
       way when the block ends (too late to undo, but the bug shows in the tests).
    2. **Check, then do.** Validate and clean the input (lengths, tags, password policy, "you
       cannot follow yourself") *before* the block: a bad request never takes the write lock.
       What only the database can tell — not found, forbidden, blocked, a taken name — is
       found and raised inside the block, and the rollback happens by construction.
    3. **Never call out while holding the write lock**: no network, no file storage, no password
       hashing, no image or video processing inside the block (on SQLite the lock stops every
       other writer of the process and the machine). Heavy work goes before the block (an upload
       is processed and its files stored first, so the row always points at files that exist);
       side effects go after it, through events (below).
    4. **Lock rows in one fixed order**, so concurrent actions on PostgreSQL never wait on each
       other in a cycle: the note row first (``FOR UPDATE`` to edit or delete it,
       ``with_for_update(key_share=True)`` — ``FOR NO KEY UPDATE`` — for engagement, which also
       keeps it from being deleted under the write), then its media, then collections and
       comments, then users (counters such as ``engagement_received``, ``note_count``, follower
       counts) last, two users in id order. Rows a new row only refers to are locked with
       ``with_for_update(key_share=True)``. Advisory locks (notifications) are taken in sorted
       order. On SQLite the write lock serialises writers anyway; the order is for PostgreSQL.
    5. **Events and announcements follow the transaction.** ``events.publish`` /
       ``enqueue_after_commit`` rows are written to the outbox in the same transaction, and
       ``changes.*`` announcements (commit hooks, ``events.notify``) run after it ends: a
       rollback drops both — no job runs and no cache is retired for a write that did not
       happen (``core.events``). So publish inside the block, never after it.

    Objects loaded in the block stay usable after it (sessions do not expire on commit).
    """
    if session.info.get(_WRITING):
        raise NestedWriteError("a write transaction is already open on this session")
    begin_write(session)
    transaction = session.get_transaction()
    session.info[_WRITING] = True
    try:
        yield
        if session.get_transaction() is not transaction:
            raise NestedWriteError("the write transaction was ended inside its own block")
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_WRITING, None)


def dialect_insert(session: Session, model: Any) -> Any:
    """An INSERT of the session's dialect, for ``ON CONFLICT`` clauses (both engines have them)."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert(model) if dialect == "postgresql" else sqlite.insert(model)


def insert_ignore(session: Session, model: Any, values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when a row was inserted.

    Both engines resolve the race between two concurrent inserts of the same key in the database,
    which is what keeps likes/follows counters exact under concurrency.
    """
    ins = dialect_insert(session, model)
    # RETURNING rather than rowcount: psycopg reports -1 for rowcount on this statement.
    key = next(iter(model.__table__.primary_key.columns))
    result = session.execute(ins.values(**values).on_conflict_do_nothing().returning(key))
    return result.first() is not None


def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    session = factory()
    try:
        yield session
    finally:
        session.close()
