"""Fixed-window rate limits on top of the shared :class:`Cache` counters.

In memory for one process; Redis in cluster mode, so a client cannot multiply its budget by
spreading requests over app processes.
"""

from __future__ import annotations

from redbridge.core.cache import Cache
from redbridge.core.clock import Clock
from redbridge.core.errors import AppError
from redbridge.core.i18n import _


class RateLimiter:
    def __init__(self, cache: Cache, clock: Clock, enabled: bool = True) -> None:
        self._cache = cache
        self._clock = clock
        self.enabled = enabled

    def hit(self, scope: str, key: str, budget: tuple[int, int]) -> None:
        """Count one event for (scope, key); raise 429 with Retry-After once the budget is spent."""
        if not self.enabled:
            return
        limit, window = budget
        now = self._clock.now().timestamp()
        bucket = int(now // window)
        count = self._cache.incr(f"rl:{scope}:{key}:{bucket}", window)
        if count > limit:
            retry = int(window - now % window) + 1
            raise AppError(
                "rate_limited",
                _("Too many requests. Please wait %(seconds)s seconds and try again."),
                429,
                headers={"Retry-After": str(retry)},
                seconds=retry,
            )
