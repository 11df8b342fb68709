"""The composition root's container: every running part, built once from settings.

Features receive this (through request dependencies or job arguments) instead of importing
module-level singletons, so two apps with different settings can live in one process (tests do).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from redbridge.core import db, events, jobs
from redbridge.core.cache import Cache, MemoryCache, RedisCache
from redbridge.core.clock import Clock, SystemClock
from redbridge.core.ratelimit import RateLimiter
from redbridge.core.security import PasswordHasher
from redbridge.media import workers as media_workers
from redbridge.media.storage import LocalStorage, MediaStorage
from redbridge.settings import Settings


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
    extras: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        """Stop workers and release connections; safe to call more than once."""
        self.queue.stop()
        media_workers.close(self)
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
