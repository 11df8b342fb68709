"""Passwords (argon2id), session tokens and CSRF tokens."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError

from redbridge.settings import PasswordSettings


class PasswordHasher:
    """argon2id hashing on a small dedicated thread pool.

    Each hash takes ~64 MiB and tens of milliseconds of CPU. Running them on their own bounded
    pool (not the event loop, not the shared request thread pool) means a burst of 200 signups
    queues here while feed reads keep their threads and their cores.
    """

    def __init__(self, settings: PasswordSettings) -> None:
        self._hasher = Argon2Hasher(
            time_cost=settings.time_cost,
            memory_cost=settings.memory_kib,
            parallelism=settings.parallelism,
            type=Type.ID,
        )
        self._pool = ThreadPoolExecutor(max_workers=settings.hash_workers, thread_name_prefix="argon2")
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

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.hash_sync, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.verify_sync, stored, password)

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
