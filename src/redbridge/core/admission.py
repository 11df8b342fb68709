"""Admission control: each process bounds the work it accepts and sheds the rest at once.

Why: a crowd must meet answers or a quick "come back in a moment", never a queue that ends in a
30-second timeout. Before this, a burst of 100 reads filled the thread pool with requests that
each held a database connection while waiting for a thread (or a second connection), the two
pools locked each other, and ``/healthz`` took minutes.

The contract, which ``core.db.pool_capacity`` and ``app.create_app`` build on:

* at most ``max_inflight`` requests are worked on at once;
* up to ``max_queued`` more wait (first come, first served) at most ``queue_timeout_s`` for a
  slot; anything beyond, or waiting longer, is answered 503 with ``Retry-After`` and the error
  envelope in the caller's language;
* an admitted request uses at most one request thread and one database connection at a time
  (``core.db`` checks the latter), and both pools hold at least ``max_inflight`` — so an admitted
  request never waits for either, and the two can no longer deadlock.

``/healthz``, ``/readyz`` and ``/metrics`` bypass admission: they are how the crowd is seen.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge
from starlette.types import ASGIApp, Receive, Scope, Send

from redbridge.core import i18n
from redbridge.core.errors import envelope
from redbridge.settings import CapacitySettings

BYPASS = frozenset({"/healthz", "/readyz", "/metrics"})


@dataclass
class RequestSlot:
    """What one admitted request holds; ``connections`` is kept by ``core.db``'s pool events."""

    connections: int = 0


# The admitted request this code runs for. anyio copies the context into thread-pool hops, so
# the pool's checkout hook sees the request's slot from the worker thread.
current_slot: ContextVar[RequestSlot | None] = ContextVar("redbridge_request_slot", default=None)


@dataclass(eq=False)
class _Waiter:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]
    granted: bool = False


@dataclass
class Load:
    inflight: int = 0
    queued: int = 0
    shed: int = 0
    waiters: deque[_Waiter] = field(default_factory=deque)


class Admission:
    """The counters and the FIFO of waiting requests. A lock, not the event loop, guards them:
    tests run several event loops (one per TestClient) against one app."""

    def __init__(self, capacity: CapacitySettings, registry: CollectorRegistry | None = None) -> None:
        self.capacity = capacity
        self.load = Load()
        self._lock = threading.Lock()
        self._shed_total = Counter("redbridge_shed_requests", "Requests answered 503 by admission control",
                                   registry=registry)
        gauge_inflight = Gauge("redbridge_inflight_requests", "Requests being worked on", registry=registry)
        gauge_queued = Gauge("redbridge_queued_requests", "Requests waiting for admission", registry=registry)
        gauge_inflight.set_function(lambda: self.load.inflight)
        gauge_queued.set_function(lambda: self.load.queued)

    @property
    def saturated(self) -> bool:
        """True while a new request would be shed rather than admitted or queued."""
        load = self.load
        return load.inflight >= self.capacity.max_inflight and load.queued >= self.capacity.max_queued

    async def acquire(self) -> bool:
        """Take a slot (True), waiting within the bounds; False means shed."""
        cap = self.capacity
        with self._lock:
            if self.load.inflight < cap.max_inflight and not self.load.waiters:
                self.load.inflight += 1
                return True
            if self.load.queued >= cap.max_queued or cap.queue_timeout_s <= 0:
                self._count_shed()
                return False
            loop = asyncio.get_running_loop()
            waiter = _Waiter(loop, loop.create_future())
            self.load.waiters.append(waiter)
            self.load.queued += 1
        try:
            await asyncio.wait_for(asyncio.shield(waiter.future), cap.queue_timeout_s)
        except (TimeoutError, asyncio.CancelledError) as exc:
            with self._lock:
                if not waiter.granted:
                    self.load.waiters.remove(waiter)
                    self.load.queued -= 1
                    if isinstance(exc, TimeoutError):
                        self._count_shed()
                    granted = False
                else:
                    granted = True
            if isinstance(exc, asyncio.CancelledError):
                if granted:
                    self.release()  # the client went away after its slot was handed over
                raise
            return granted
        return True

    def release(self) -> None:
        """Hand the slot to the longest-waiting request, or give it back."""
        with self._lock:
            if self.load.waiters:
                waiter = self.load.waiters.popleft()
                self.load.queued -= 1
                waiter.granted = True  # the slot passes on; inflight stays the same
                waiter.loop.call_soon_threadsafe(_wake, waiter.future)
            else:
                self.load.inflight -= 1

    def _count_shed(self) -> None:
        self.load.shed += 1
        self._shed_total.inc()


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class AdmissionMiddleware:
    def __init__(self, app: ASGIApp, admission: Admission) -> None:
        self.app = app
        self.admission = admission

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "") in BYPASS:
            await self.app(scope, receive, send)
            return
        if not await self.admission.acquire():
            await self._shed(scope, receive, send)
            return
        token = current_slot.set(RequestSlot())
        try:
            await self.app(scope, receive, send)
        finally:
            current_slot.reset(token)
            self.admission.release()

    async def _shed(self, scope: Scope, receive: Receive, send: Send) -> None:
        locale = scope.get("state", {}).get("locale", "en")
        message = i18n.gettext("The server is busy right now. Please try again in a few seconds.", locale)
        retry = str(self.admission.capacity.retry_after_s)
        response = envelope("overloaded", message, 503, headers={"Retry-After": retry, "Cache-Control": "no-store"})
        await response(scope, receive, send)
