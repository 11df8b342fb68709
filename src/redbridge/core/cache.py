"""A small key/value cache with expiry and atomic counters.

Embedded: an in-process dict (one machine, one process). Cluster: Redis, so every app process
sees the same counters (rate limits) and shared snapshots (explore pools).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Protocol

import redis


class Cache(Protocol):
    def get(self, key: str) -> bytes | None: ...
    def set(self, key: str, value: bytes, ttl: float) -> None: ...
    def add(self, key: str, value: bytes, ttl: float) -> bool: ...
    def delete(self, key: str) -> None: ...
    def incr(self, key: str, ttl: float) -> int:
        """Increment and return the counter; the window (ttl) starts with the first increment."""
        ...


class MemoryCache:
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
