"""The composition root's container: every running part, built once from settings.

Features receive this (through request dependencies or job arguments) instead of importing
module-level singletons, so two apps with different settings can live in one process (tests do).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from redbridge.core import db, events, jobs
from redbridge.core.cache import Cache, MemoryCache, RedisCache
from redbridge.core.clock import Clock, SystemClock
from redbridge.core.ratelimit import RateLimiter
from redbridge.core.security import PasswordHasher
from redbridge.core.storage import LocalStorage, MediaStorage
from redbridge.settings import Settings

S = TypeVar("S")


@dataclass
class Services:
    settings: Settings
    clock: Clock
    engine: Engine
    sessions: sessionmaker[Session]
    cache: Cache
    limiter: RateLimiter
    storage: MediaStorage
    passwords: PasswordHasher
    secret: bytes
    queue: jobs.JobQueue = field(init=False)
    _states: dict[type[Any], Any] = field(default_factory=dict, init=False, repr=False)
    _states_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def state(self, kind: type[S], make: Callable[[], S] | None = None) -> S:
        """The one ``kind`` of these services, made with ``make()`` (default ``kind()``) on first
        use: a feature's own
        state (memos, worker pools), typed by its class rather than kept under a string key, and
        closed with the services when it has a ``close()``. Two apps in one process (tests) each
        have their own."""
        found = self._states.get(kind)
        if found is None:
            with self._states_lock:
                found = self._states.get(kind)
                if found is None:
                    found = self._states[kind] = (make or kind)()
        return cast(S, found)

    def close(self) -> None:
        """Stop workers and release connections; safe to call more than once."""
        self.queue.stop()
        with self._states_lock:
            states, self._states = list(self._states.values()), {}
        for state in states:
            close = getattr(state, "close", None)
            if callable(close):
                close()
        self.passwords.close()
        self.engine.dispose()


def _secret(settings: Settings) -> bytes:
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.var_dir / "secret_key"
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()


def build(settings: Settings, clock: Clock | None = None) -> Services:
    engine = db.make_engine(settings)
    sessions = db.make_sessionmaker(engine)
    cache: Cache = RedisCache(settings.redis_url) if settings.redis_url else MemoryCache()
    media_dir: Path = settings.resolved_media_dir
    clock = clock or SystemClock()
    services = Services(
        settings=settings,
        clock=clock,
        engine=engine,
        sessions=sessions,
        cache=cache,
        limiter=RateLimiter(cache, clock),
        storage=LocalStorage(media_dir),
        passwords=PasswordHasher(settings.passwords),
        secret=_secret(settings),
    )
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    huey = jobs.make_huey(
        settings.jobs_mode,
        sqlite_path=str(settings.var_dir / "jobs.db"),
        redis_url=settings.redis_url,
    )
    services.queue = jobs.JobQueue(huey, services)
    events.wire(sessions, services.queue)
    return services
