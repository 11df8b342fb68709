"""The outbox under faults: a process killed (SIGKILL) between its commits and the relay, and Redis
stopped mid-stream. Every committed event is delivered at least once afterwards; an event of a
transaction that never committed, never. Assertions are on deliveries; waits are bounded polls."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from redbridge.app import create_app
from redbridge.core.clock import SystemClock
from redbridge.core.services import build
from redbridge.settings import OutboxSettings, Settings
from tests.conftest import BACKEND, prepare_schema
from tests.core import outbox_helpers as h
from tests.servers import start_redis

ROOT = Path(__file__).resolve().parents[2]

# The child commits events with its relay paused (as if it died before the relay's turn), leaves a
# transaction with a publish and a write in flight, and kills itself: no clean-up of any kind runs.
CHILD = r"""
import os, signal, sys
from datetime import UTC, datetime
from redbridge.core import events
from redbridge.core.db import begin_write
from redbridge.ops.models import Heartbeat
from redbridge.core.services import build
from redbridge.settings import Settings
from tests.core import outbox_helpers as h

services = build(Settings())
h.commit_events(services, range(int(sys.argv[1])))
session = services.sessions()
begin_write(session)
session.add(Heartbeat(process="in-flight", at=datetime.now(UTC)))
session.flush()
events.publish(session, h.EVENT, {"n": -1})
print("committed", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.fixture(autouse=True)
def _reset() -> None:
    h.reset()


def _child_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDBRIDGE_")}
    env.update({
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "REDBRIDGE_ENV": "test",
        "REDBRIDGE_VAR_DIR": str(settings.var_dir),
        "REDBRIDGE_DATABASE_URL": settings.resolved_database_url,
        "REDBRIDGE_SECRET_KEY": settings.secret_key,
        "REDBRIDGE_JOBS_MODE": "embedded",
        "REDBRIDGE_OUTBOX__RELAY": "false",
    })
    return env


def test_events_committed_before_a_kill_9_are_delivered_by_the_next_process(settings: Settings) -> None:
    embedded = settings.model_copy(update={"jobs_mode": "embedded"})
    setup = build(embedded)
    prepare_schema(setup)
    setup.close()
    committed = 25
    child = subprocess.run([sys.executable, "-c", CHILD, str(committed)], cwd=ROOT, env=_child_env(embedded),
                           capture_output=True, text=True, timeout=120, check=False)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert child.stdout.strip() == "committed"
    assert h.delivered() == {}

    app = create_app(embedded, SystemClock())  # the restarted process: its worker sweeps at start
    services = app.state.services
    assert h.pending(services) == committed  # the rows outlived the process, the in-flight one did not
    with TestClient(app):
        h.wait_until(lambda: set(h.delivered()) >= set(range(committed)))
        h.wait_until(lambda: h.pending(services) == 0)
    assert set(h.delivered()) == set(range(committed))  # each at least once, and -1 never


@pytest.mark.skipif(BACKEND != "postgres", reason="cluster backend only (RedisHuey)")
def test_events_committed_while_redis_is_down_are_delivered_once_it_is_back(settings: Settings,
                                                                             tmp_path: Path) -> None:
    redis = start_redis(tmp_path / "private-redis")  # not the suite's shared one: this test stops it
    cluster = settings.model_copy(update={
        "jobs_mode": "redis", "redis_url": redis.url,
        "outbox": OutboxSettings(sweep_interval_s=0.1, retry_base_s=0.05, retry_max_s=0.5),
    })
    app_process, worker = build(cluster), build(cluster)
    restarted = None
    try:
        app_process.queue.start_relay()  # as in an app process: woken on commit, sweeping
        h.commit_events(app_process, range(20))
        h.wait_until(lambda: set(h.delivered()) == set(range(20)), between=worker.queue.run_pending)

        redis.stop()
        h.commit_events(app_process, range(20, 40))  # writes keep committing
        # Every row has been tried and refused, and stays.
        h.wait_until(lambda: h.attempted(app_process) == 20 and h.pending(app_process) == 20)
        assert set(h.delivered()) == set(range(20))

        restarted = start_redis(tmp_path / "private-redis", port=redis.port)  # fresh, empty

        def consume() -> None:
            # The worker's first call may fail on a connection from before the outage.
            with contextlib.suppress(Exception):
                worker.queue.run_pending()

        h.wait_until(lambda: set(h.delivered()) == set(range(40)), between=consume)
        h.wait_until(lambda: h.pending(app_process) == 0)
    finally:
        app_process.close()
        worker.close()
        redis.stop()
        if restarted is not None:
            restarted.stop()
    assert all(h.delivered()[n] >= 1 for n in range(40))
