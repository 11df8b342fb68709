"""Core pieces: ids, cursors, locale negotiation, catalogs, cache and rate limits on both backends,
error envelope and security headers."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from redbridge.core import i18n, ids
from redbridge.core.cache import Cache, MemoryCache, RedisCache
from redbridge.core.clock import FrozenClock
from redbridge.core.errors import AppError
from redbridge.core.pagination import decode_cursor, encode_cursor
from redbridge.core.ratelimit import RateLimiter
from tests.servers import RedisServer, start_redis

ROOT = Path(__file__).resolve().parents[2]


def test_ids_are_unique_and_time_ordered() -> None:
    start = datetime(2025, 1, 15, tzinfo=UTC)
    same_ms = [ids.new_id(start) for _ in range(5000)]
    assert len(set(same_ms)) == 5000
    assert same_ms == sorted(same_ms)
    later = ids.new_id(start + timedelta(seconds=1))
    assert later > same_ms[-1]
    assert ids.id_floor(start + timedelta(seconds=1)) <= later


@given(st.text(max_size=40))
def test_id_decoding_never_raises(value: str) -> None:
    decoded = ids.decode(value)
    assert decoded is None or ((0 < decoded < 1 << 63 and ids.encode(decoded) == value.lstrip("0")) or decoded)


@given(st.dictionaries(st.text(max_size=5), st.integers(min_value=0, max_value=1 << 62), max_size=4))
def test_cursor_round_trip(state: dict[str, int]) -> None:
    assert decode_cursor(encode_cursor(state)) == state


@pytest.mark.parametrize("bad", ["%%%", "aGVsbG8", "bnVsbA", "x" * 3000])
def test_cursor_rejects_what_we_did_not_issue(bad: str) -> None:
    with pytest.raises(AppError) as info:
        decode_cursor(bad)
    assert info.value.status == 400


@pytest.mark.parametrize(
    ("header", "expected"),
    [("zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans"), ("zh-TW", "zh-Hant"), ("zh-Hant-HK", "zh-Hant"),
     ("en-US,en;q=0.9", "en"), ("fr-FR, zh;q=0.5", "zh-Hans"), ("de", None), ("", None), ("en;q=0, zh;q=0.1", "zh-Hans")],
)
def test_accept_language(header: str, expected: str | None) -> None:
    assert i18n.from_accept_language(header) == expected


def test_every_message_has_a_chinese_translation() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "i18n.py"), "check"], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert i18n.gettext("Not found.", "zh-Hans") == "找不到该内容。"
    assert i18n.gettext("Not found.", "zh-Hant") != "Not found."


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with start_redis(tmp_path_factory.mktemp("core-redis")) as server:
        yield server


@pytest.fixture(params=["memory", "redis"])
def cache(request: pytest.FixtureRequest, redis: RedisServer) -> Cache:
    if request.param == "memory":
        return MemoryCache()
    redis.client().flushdb()
    return RedisCache(redis.url)


def test_cache_contract(cache: Cache) -> None:
    assert cache.get("k") is None
    cache.set("k", b"v", 60)
    assert cache.get("k") == b"v"
    assert cache.add("k", b"other", 60) is False
    assert cache.add("k2", b"new", 60) is True
    cache.delete("k")
    assert cache.get("k") is None
    assert [cache.incr("c", 60) for _ in range(3)] == [1, 2, 3]


def test_rate_limiter_windows(cache: Cache) -> None:
    clock = FrozenClock(datetime(2025, 1, 15, 12, 0, 0, tzinfo=UTC))
    limiter = RateLimiter(cache, clock)
    for _ in range(3):
        limiter.hit("s", "k", (3, 60))
    with pytest.raises(AppError) as info:
        limiter.hit("s", "k", (3, 60))
    assert info.value.status == 429
    assert info.value.headers is not None
    assert 0 < int(info.value.headers["Retry-After"]) <= 61
    limiter.hit("s", "other-key", (3, 60))  # budgets are per key
    # The window moves on the wall clock (``limits`` takes no injected clock): windows sliding
    # past and the window edge are tested with short real windows in tests/core/test_ratelimit.py.


def test_memory_cache_is_bounded() -> None:
    cache = MemoryCache(max_items=10)
    for i in range(50):
        cache.set(f"k{i}", b"x", 60)
    assert cache.get("k0") is None
    assert cache.get("k49") == b"x"


def test_error_envelope_for_unknown_routes_and_methods(client: TestClient) -> None:
    missing = client.get("/api/v1/nope", headers={"Accept-Language": "zh-CN"})
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "not_found", "message": "找不到该内容。", "fields": {}}}
    wrong = client.put("/api/v1/auth/login", json={})
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"


def test_unexpected_errors_hide_the_stack_trace(settings: object) -> None:
    from redbridge.app import create_app

    app = create_app(settings)  # type: ignore[arg-type]

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as test_client:
        response = test_client.get("/boom")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal"
    assert "secret" not in response.text
    assert "Traceback" not in response.text


def test_security_headers(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


def test_streamed_body_over_the_limit_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(3):
            yield b"x" * (512 * 1024)

    response = client.post("/api/v1/auth/login", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert client.get("/healthz").status_code == 200


def test_ops_endpoints(client: TestClient) -> None:
    assert client.get("/readyz").json()["checks"]["database"] == "ok"
    client.get("/api/v1/ping")
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert 'redbridge_http_requests_total{method="GET",route="/api/v1/ping",status="200"}' in metrics.text
    assert "openapi" in client.get("/api/v1/openapi.json").json()


def test_a_generation_token_never_comes_back_after_eviction() -> None:
    """A counter that expires starts again at a value it had before; a token must not, or
    entries stored under the old token would be served again."""
    from redbridge.core.cache import MemoryCache, generation, retire_generation

    cache = MemoryCache(max_items=1)
    first = generation(cache, "gen:a")
    assert generation(cache, "gen:a") == first  # stable while it lives
    cache.set("other", b"x", 60)  # evicts the token (one item fits)
    assert cache.get("gen:a") is None
    second = generation(cache, "gen:a")
    assert second != first
    retire_generation(cache, "gen:a")
    seen = {first, second}
    for _ in range(50):
        token = generation(cache, "gen:a")
        assert token not in seen
        seen.add(token)
        retire_generation(cache, "gen:a")


class _Pool:
    made = 0

    def __init__(self) -> None:
        _Pool.made += 1
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_feature_state_is_one_typed_object_per_services_closed_with_them(settings: object) -> None:
    """``services.state(Kind)``: made once per services (two apps in one process keep their own),
    typed by its class, and closed with the services."""
    from redbridge.core import services as services_mod
    from redbridge.settings import Settings

    assert isinstance(settings, Settings)
    first, second = services_mod.build(settings), services_mod.build(settings)
    try:
        before = _Pool.made
        pool = first.state(_Pool)
        assert first.state(_Pool) is pool
        assert second.state(_Pool) is not pool
        assert _Pool.made == before + 2
        made = first.state(dict, lambda: {"made": True})
        assert made == {"made": True}
        assert first.state(dict) is made  # the maker runs once
        first.close()
        assert pool.closed
        assert not second.state(_Pool).closed
    finally:
        first.close()
        second.close()
