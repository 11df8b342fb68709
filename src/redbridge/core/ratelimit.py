"""Moving-window rate limits on the maintained ``limits`` library.

A budget ``(count, window_s)`` allows at most ``count`` events in *any* ``window_s`` seconds (a
moving window): unlike a fixed window, a client cannot spend its budget at the end of one window
and again at the start of the next (twice the budget in a moment).

Storage follows the deployment: ``limits``' ``MemoryStorage`` in one process (embedded), its
``RedisStorage`` in cluster mode (the same Redis as the shared cache), so a client cannot multiply
its budget by spreading requests over app processes.

Time: ``limits`` reads the wall clock itself (``time.time()``) and takes no injected clock, so the
limiter ignores the app's :class:`Clock`; tests use short real windows and assert counts.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from redbridge.core.cache import Cache, RedisCache
from redbridge.core.clock import Clock
from redbridge.core.errors import AppError
from redbridge.core.i18n import _

KEY_PREFIX = "rb:rl"


def storage_for(cache: Cache) -> Storage:
    """Redis storage on the cache's own connection pool in cluster mode, else in memory."""
    if isinstance(cache, RedisCache):
        # The cache owns the connection settings (REDBRIDGE_REDIS_URL); share its pool rather
        # than opening a second one. The URI only selects the storage class here.
        pool = cache._r.connection_pool
        return RedisStorage("redis://", connection_pool=pool, key_prefix=KEY_PREFIX)
    return MemoryStorage()


def rate_limited(retry: int) -> AppError:
    return AppError(
        "rate_limited",
        _("Too many requests. Please wait %(seconds)s seconds and try again."),
        429,
        headers={"Retry-After": str(retry)},
        seconds=retry,
    )


class RateLimiter:
    """``hit(scope, key, budget)``: count one event, or raise 429 with ``Retry-After``.

    ``clock`` is accepted for the composition root's uniform wiring; the moving window runs on
    the wall clock (see the module docstring).
    """

    def __init__(self, cache: Cache, clock: Clock | None = None, enabled: bool = True,
                 storage: Storage | None = None) -> None:
        self._storage = storage or storage_for(cache)
        self._limiter = MovingWindowRateLimiter(self._storage)
        self.enabled = enabled

    @staticmethod
    def _item(budget: tuple[int, int]) -> RateLimitItemPerSecond:
        limit, window = budget
        return RateLimitItemPerSecond(max(int(limit), 0), max(int(window), 1), namespace=KEY_PREFIX)

    def _retry_after(self, item: RateLimitItemPerSecond, scope: str, key: str) -> int:
        reset = self._limiter.get_window_stats(item, scope, key).reset_time
        return max(1, math.ceil(reset - time.time()))

    def hit(self, scope: str, key: str, budget: tuple[int, int]) -> None:
        """Count one event for (scope, key); raise 429 with Retry-After once the budget is spent.

        A refused event is not counted: the window frees up ``Retry-After`` seconds later even if
        the client keeps knocking."""
        if not self.enabled:
            return
        item = self._item(budget)
        if not self._limiter.hit(item, scope, key):
            retry = self._retry_after(item, scope, key) if item.amount > 0 else item.get_expiry()
            raise rate_limited(retry)

    def record(self, scope: str, key: str, budget: tuple[int, int]) -> None:
        """Count one event without ever refusing (for counters that slow down rather than block);
        the count saturates at the budget."""
        if self.enabled:
            self._limiter.hit(self._item(budget), scope, key)

    def count(self, scope: str, key: str, budget: tuple[int, int]) -> int:
        """Events for (scope, key) in the last ``budget`` window (at most the budget's count)."""
        if not self.enabled:
            return 0
        item = self._item(budget)
        return item.amount - self._limiter.get_window_stats(item, scope, key).remaining

    def reset(self) -> None:
        """Forget every counter (tests, and an operator clearing a false alarm)."""
        self._storage.reset()
