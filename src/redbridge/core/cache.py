"""A small key/value cache with expiry and atomic counters.

Embedded: an in-process dict (one machine, one process). Cluster: Redis, so every app process
sees the same counters (rate limits) and shared snapshots (explore pools).
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

import redis

K = TypeVar("K")
V = TypeVar("V")


class Cache(Protocol):
    # In-process: a read costs microseconds and never blocks, so it may run on the event loop.
    local: bool

    def get(self, key: str) -> bytes | None: ...
    def set(self, key: str, value: bytes, ttl: float) -> None: ...
    def add(self, key: str, value: bytes, ttl: float) -> bool: ...
    def delete(self, key: str) -> None: ...
    def incr(self, key: str, ttl: float) -> int:
        """Increment and return the counter; the window (ttl) starts with the first increment."""
        ...


class MemoryCache:
    local = True

    def __init__(self, max_items: int = 100_000) -> None:
        self._data: OrderedDict[str, tuple[float, bytes | int]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_items

    def _live(self, key: str, now: float) -> tuple[float, bytes | int] | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[0] <= now:
            del self._data[key]
            return None
        self._data.move_to_end(key)
        return item

    def _store(self, key: str, expires: float, value: bytes | int) -> None:
        self._data[key] = (expires, value)
        self._data.move_to_end(key)
        while len(self._data) > self._max:
            self._data.popitem(last=False)

    def get(self, key: str) -> bytes | None:
        with self._lock:
            item = self._live(key, time.monotonic())
        if item is None:
            return None
        value = item[1]
        return value if isinstance(value, bytes) else str(value).encode()

    def set(self, key: str, value: bytes, ttl: float) -> None:
        with self._lock:
            self._store(key, time.monotonic() + ttl, value)

    def add(self, key: str, value: bytes, ttl: float) -> bool:
        now = time.monotonic()
        with self._lock:
            if self._live(key, now) is not None:
                return False
            self._store(key, now + ttl, value)
            return True

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def incr(self, key: str, ttl: float) -> int:
        now = time.monotonic()
        with self._lock:
            item = self._live(key, now)
            if item is None:
                self._store(key, now + ttl, 1)
                return 1
            count = int(item[1]) + 1
            self._store(key, item[0], count)
            return count


class RedisCache:
    local = False

    def __init__(self, url: str, prefix: str = "rb:") -> None:
        self._r = redis.Redis.from_url(url)
        self._prefix = prefix

    def get(self, key: str) -> bytes | None:
        value = self._r.get(self._prefix + key)
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes, ttl: float) -> None:
        self._r.set(self._prefix + key, value, px=max(int(ttl * 1000), 1))

    def add(self, key: str, value: bytes, ttl: float) -> bool:
        return bool(self._r.set(self._prefix + key, value, px=max(int(ttl * 1000), 1), nx=True))

    def delete(self, key: str) -> None:
        self._r.delete(self._prefix + key)

    def incr(self, key: str, ttl: float) -> int:
        pipe = self._r.pipeline()
        pipe.incr(self._prefix + key)
        # NX: only the first hit of a window sets the expiry, so the window is fixed, not sliding.
        pipe.pexpire(self._prefix + key, max(int(ttl * 1000), 1), nx=True)
        count, _ = pipe.execute()
        return int(count)

    def ping(self) -> bool:
        return bool(self._r.ping())


# Read-through caching of something the database owns, safe against the race where a reader
# loads the old value, the write commits and invalidates, and the reader then stores the old
# value back: invalidation writes a tombstone for the entry's whole lifetime, readers only ever
# ``add`` (never overwrite), so a stale value can no longer land after the invalidation.
TOMBSTONE = b"\x00"


def read_through(cache: Cache, key: str, ttl: float, load: Callable[[], bytes | None]) -> bytes | None:
    """The cached value of ``key``, else ``load()`` (stored unless it is None or the key was just
    invalidated)."""
    hit = cache.get(key)
    if hit is not None and hit != TOMBSTONE:
        return hit
    value = load()
    if hit is None and value is not None:
        cache.add(key, value, ttl)
    return value


def invalidate(cache: Cache, key: str, ttl: float) -> None:
    """Retire ``key`` (``ttl``: the longest its entries live) on every process sharing the cache."""
    cache.set(key, TOMBSTONE, ttl)


# Generation tokens name the current version of something cached under many keys (a note's
# page for every viewer, every explore page): entries are stored under the token, and retiring
# the token retires them all without finding them. A token is random, never a counter: a counter
# that expires or is evicted starts again at a value it had before and would bring old entries
# back; a new random token never matches one issued earlier.
GENERATION_TTL_S = 7 * 24 * 3600.0


def generation(cache: Cache, key: str, ttl: float = GENERATION_TTL_S) -> bytes:
    """The current token of ``key``, issuing one if there is none. Read it before the data it
    names: an entry computed from a row older than a write is then stored under the token that
    write retired."""
    token = cache.get(key)
    if token is not None:
        return token
    fresh = secrets.token_hex(8).encode()
    if cache.add(key, fresh, ttl):
        return fresh
    # Another process issued one first; if it is already gone, ours is still unique (whatever is
    # stored under it is simply never found again).
    return cache.get(key) or fresh


def retire_generation(cache: Cache, key: str) -> None:
    """Retire everything stored under ``key``'s current token, on every process sharing the cache."""
    cache.delete(key)


class Lru(Generic[K, V]):
    """A small thread-safe in-process LRU map, for memos of immutable or self-expiring values
    (request handlers run on a thread pool)."""

    def __init__(self, size: int) -> None:
        self._data: OrderedDict[K, V] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class PageCache:
    """Rendered pages (bytes) by key, each computed by one caller at a time (single flight).

    A page lives ``ttl`` seconds spread over its second half: pages first computed together (a new
    explore pool window starts every reader's first page at once) would otherwise all expire, and
    be recomputed, together every ``ttl`` — a visible bump in the p99. While one caller computes a
    key, the others wait up to ``flight_wait`` s for it, or, when an expired copy exists, keep
    serving that copy (stale while revalidating): without this every concurrent reader recomputes
    the same page the moment it expires, and the tail latency is that pile-up. Keys must name
    everything a page depends on (generation tokens), so nothing ever deletes a page.
    """

    def __init__(self, size: int, ttl: float, flight_wait: float = 2.0) -> None:
        self.pages: Lru[tuple[Any, ...], tuple[float, bytes]] = Lru(size)  # key → (expires, page)
        self.ttl = ttl
        self.flight_wait = flight_wait
        self._flights: dict[tuple[Any, ...], threading.Event] = {}
        self._flights_lock = threading.Lock()

    def peek(self, key: tuple[Any, ...]) -> bytes | None:
        """The fresh page for ``key``, or None; never computes (for the event loop)."""
        hit = self.pages.get(key)
        return hit[1] if hit is not None and hit[0] > time.monotonic() else None

    def get(self, key: tuple[Any, ...], compute: Callable[[], tuple[bytes, bool]]) -> bytes:
        """The page for ``key`` from the cache, or computed by exactly one caller at a time;
        ``compute`` returns the page and whether it may be cached."""
        hit = self.pages.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        with self._flights_lock:
            running = self._flights.get(key)
            if running is None:
                self._flights[key] = threading.Event()
        if running is not None:
            if hit is not None:
                return hit[1]  # expired moments ago; its refresh is under way
            running.wait(self.flight_wait)
            done = self.pages.get(key)
            # Not cached (the page was not cacheable, or its computation failed): compute it here.
            return done[1] if done is not None else compute()[0]
        try:
            body, cacheable = compute()
            if cacheable:
                ttl = self.ttl * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not a secret
                self.pages.put(key, (time.monotonic() + ttl, body))
            return body
        finally:
            with self._flights_lock:
                self._flights.pop(key).set()

    def clear(self) -> None:
        self.pages.clear()
