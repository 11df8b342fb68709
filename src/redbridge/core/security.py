"""Passwords (argon2id), session tokens and CSRF tokens."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError

from redbridge.core.errors import AppError
from redbridge.core.i18n import _
from redbridge.settings import PasswordSettings

T = TypeVar("T")


def hashing_busy(retry: int) -> AppError:
    return AppError("auth.busy", _("We are busy checking passwords. Please try again in %(seconds)s seconds."),
                    503, headers={"Retry-After": str(retry)}, seconds=retry)


class PasswordHasher:
    """argon2id hashing on a dedicated thread pool sized to the cores, with its own admission bound.

    Each hash takes ~64 MiB and tens of milliseconds of CPU; argon2-cffi releases the GIL, so
    ``hash_workers`` threads (default: one per core) hash in parallel. Running them on their own
    pool (not the event loop, not the shared request thread pool) means a burst of logins queues
    here while feed reads keep their threads. At most ``hash_max_waiting`` hashes wait for a
    worker: a burst beyond that is refused at once with 503 and ``Retry-After`` (instead of every
    login, the real ones included, waiting behind an unbounded queue).
    """

    def __init__(self, settings: PasswordSettings) -> None:
        self._hasher = Argon2Hasher(
            time_cost=settings.time_cost,
            memory_cost=settings.memory_kib,
            parallelism=settings.parallelism,
            type=Type.ID,
        )
        self._pool = ThreadPoolExecutor(max_workers=settings.hash_workers, thread_name_prefix="argon2")
        self._capacity = settings.hash_workers + settings.hash_max_waiting
        self._retry_after = settings.hash_retry_after_s
        self._admitted = 0  # running + waiting
        self._lock = threading.Lock()
        # A real hash to verify against when the account does not exist, so that "no such user"
        # and "wrong password" take the same time.
        self._dummy = self._hasher.hash(secrets.token_hex(16))

    def hash_sync(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify_sync(self, stored: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)

    @property
    def admitted(self) -> int:
        """Hashes running or waiting now."""
        return self._admitted

    async def _run(self, work: Callable[[], T]) -> T:
        with self._lock:
            if self._admitted >= self._capacity:
                raise hashing_busy(self._retry_after)
            self._admitted += 1
        try:
            future = self._pool.submit(work)
        except BaseException:
            self._release()
            raise
        # Released when the hash ends (or is cancelled before it starts), not when the awaiting
        # request goes away: a client that disconnects does not free a worker still hashing.
        future.add_done_callback(lambda _f: self._release())
        return await asyncio.wrap_future(future)

    def _release(self) -> None:
        with self._lock:
            self._admitted -= 1

    async def hash(self, password: str) -> str:
        return await self._run(lambda: self.hash_sync(password))

    async def verify(self, stored: str | None, password: str) -> bool:
        return await self._run(lambda: self.verify_sync(stored, password))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database stores: a leaked sessions table does not leak usable tokens."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(secret: bytes, session_digest: str) -> str:
    """CSRF token bound to one session: valid only alongside that session's cookie."""
    return hmac.new(secret, b"csrf:" + session_digest.encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret: bytes, session_digest: str, candidate: str | None) -> bool:
    return bool(candidate) and hmac.compare_digest(csrf_token(secret, session_digest), candidate or "")
