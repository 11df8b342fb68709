"""What ``/readyz`` checks: the database reads and *writes*, Redis answers, the process is not
saturated. Run on a thread of its own (never the request pool, which may be full of the very
crowd the check is about), at most once a second however often the load balancer asks, and
bounded in time: a database that hangs makes the check fail, not hang.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from redbridge.core.admission import Admission
from redbridge.core.cache import RedisCache
from redbridge.core.db import dialect_insert, write
from redbridge.core.services import Services
from redbridge.ops.models import Heartbeat

CHECK_EVERY_S = 1.0
CHECK_TIMEOUT_S = 3.0
PROCESS = f"{socket.gethostname()}:{os.getpid()}"[:120]


def _error(exc: BaseException) -> str:
    return type(exc).__name__


class Readiness:
    def __init__(self, services: Services, admission: Admission) -> None:
        self._services = services
        self._admission = admission
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readyz")
        self._last: tuple[float, dict[str, str]] | None = None
        self._running: asyncio.Future[dict[str, str]] | None = None

    def _probe(self) -> dict[str, str]:
        services = self._services
        checks: dict[str, str] = {}
        try:
            with services.sessions() as session:
                session.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready", reported by type
            checks["database"] = _error(exc)
        try:
            # The same write transaction as every action's: the check proves that one can be had.
            with services.sessions() as session, write(session):
                now = services.clock.now()
                stmt = dialect_insert(session, Heartbeat).values(process=PROCESS, at=now)
                session.execute(stmt.on_conflict_do_update(index_elements=["process"], set_={"at": now}))
            checks["database_write"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["database_write"] = _error(exc)
        if isinstance(services.cache, RedisCache):
            try:
                services.cache.ping()
                checks["redis"] = "ok"
            except Exception as exc:  # noqa: BLE001
                checks["redis"] = _error(exc)
        return checks

    async def _probe_once(self) -> dict[str, str]:
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.run_in_executor(self._pool, self._probe), CHECK_TIMEOUT_S)
        except TimeoutError:
            return {"database": "timeout"}

    async def checks(self) -> dict[str, str]:
        """The dependency checks, refreshed at most every ``CHECK_EVERY_S`` (concurrent callers
        share one probe), plus the process's load."""
        now = time.monotonic()
        if self._last is None or now - self._last[0] >= CHECK_EVERY_S:
            if self._running is None or self._running.get_loop() is not asyncio.get_running_loop():
                self._running = asyncio.ensure_future(self._probe_once())
            running = self._running
            try:
                result = await asyncio.shield(running)
            finally:
                if self._running is running and running.done():
                    self._running = None
            self._last = (time.monotonic(), result)
        checks = dict(self._last[1]) if self._last else {}
        checks["capacity"] = "saturated" if self._admission.saturated else "ok"
        return checks

    def load(self) -> dict[str, int]:
        load = self._admission.load
        return {"inflight": load.inflight, "queued": load.queued, "shed": load.shed,
                "max_inflight": self._admission.capacity.max_inflight,
                "max_queued": self._admission.capacity.max_queued}

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
