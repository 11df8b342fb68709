"""The rate limiter is a moving window (``limits``), in memory and on Redis.

``limits`` reads the wall clock itself, so these tests use short real windows (2 s) and assert
counts, never durations.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from redbridge.core.cache import Cache, MemoryCache, RedisCache
from redbridge.core.clock import SystemClock
from redbridge.core.errors import AppError
from redbridge.core.ratelimit import RateLimiter
from redbridge.core.services import Services
from tests.servers import RedisServer, start_redis

WINDOW = 2
BUDGET = (3, WINDOW)


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with start_redis(tmp_path_factory.mktemp("ratelimit-redis")) as server:
        yield server


@pytest.fixture(params=["memory", "redis"])
def limiter(request: pytest.FixtureRequest, redis: RedisServer) -> RateLimiter:
    cache: Cache
    if request.param == "memory":
        cache = MemoryCache()
    else:
        redis.client().flushdb()
        cache = RedisCache(redis.url)
    return RateLimiter(cache, SystemClock())


def accepted(limiter: RateLimiter, n: int, key: str = "k") -> int:
    ok = 0
    refusals: list[AppError] = []
    for _ in range(n):
        try:
            limiter.hit("s", key, BUDGET)
            ok += 1
        except AppError as error:
            refusals.append(error)
    for error in refusals:
        assert error.status == 429
        assert error.code == "rate_limited"
        assert error.headers is not None
        assert 1 <= int(error.headers["Retry-After"]) <= WINDOW
    return ok


def wait_until_late_in_a_fixed_window() -> None:
    """Sleep until 1.5 s into a 2-s aligned window: a fixed-window limiter would start a fresh
    budget 0.5 s from now."""
    while not 1.5 <= time.time() % WINDOW < 1.7:
        time.sleep(0.02)


def test_the_window_edge_does_not_double_the_budget(limiter: RateLimiter) -> None:
    # Proves: budget at the end of one window plus budget at the start of the next is refused
    # (the old fixed window accepted 6 in 0.6 s here).
    wait_until_late_in_a_fixed_window()
    assert accepted(limiter, 5) == 3
    time.sleep(0.6)  # past the fixed-window boundary, still inside the moving window
    assert accepted(limiter, 5) == 0
    assert limiter.count("s", "k", BUDGET) == 3


def test_the_window_moves_on(limiter: RateLimiter) -> None:
    # Proves: refused attempts are not counted, and the budget frees up once the window has
    # moved past the accepted ones.
    assert accepted(limiter, 3) == 3
    assert accepted(limiter, 10) == 0
    time.sleep(WINDOW + 0.2)
    assert accepted(limiter, 5) == 3


def test_budgets_are_per_scope_and_key(limiter: RateLimiter) -> None:
    assert accepted(limiter, 4, key="a") == 3
    assert accepted(limiter, 4, key="b") == 3
    limiter.hit("other-scope", "a", BUDGET)


def test_record_never_refuses_and_saturates(limiter: RateLimiter) -> None:
    for _ in range(10):
        limiter.record("fails", "k", BUDGET)
    assert limiter.count("fails", "k", BUDGET) == 3
    assert limiter.count("fails", "other", BUDGET) == 0


def test_a_zero_budget_refuses_everything(limiter: RateLimiter) -> None:
    with pytest.raises(AppError) as info:
        limiter.hit("s", "k", (0, 60))
    assert info.value.headers == {"Retry-After": "60"}


def test_the_app_limiter_uses_the_deployment_storage(services: Services) -> None:
    # Proves: the app's limiter is Redis-backed exactly when REDBRIDGE_REDIS_URL is set (the
    # postgres test pass), so app processes share one budget.
    kind = type(services.limiter._storage).__name__
    assert kind == ("RedisStorage" if services.settings.redis_url else "MemoryStorage")
    services.limiter.hit("s", "k", (1, 60))
    with pytest.raises(AppError):
        services.limiter.hit("s", "k", (1, 60))
