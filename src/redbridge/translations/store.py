"""The shared tiers of the translation cache, behind ``translation.cache.TranslationStore``:
``core.cache`` (Redis in cluster mode, the in-process dict on one machine) in front of the
``translations`` table (durable: survives a Redis flush and a restart).

Lookups go cache → database (a database hit is put back into the cache); stores go to the
database first, then the cache. The in-process LRU (``TranslationCache``) sits in front of both.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from redbridge.core.cache import Cache
from redbridge.core.clock import Clock
from redbridge.translation.cache import CachedTranslation, CacheKey, CacheStore
from redbridge.translations import actions
from redbridge.translations.models import StoredTranslation


def subject_of(kind: str, item_id: int) -> str:
    return f"{kind}:{item_id}"


class DbStore:
    """The ``translations`` table as a ``TranslationStore``. ``subject``: the item the stored
    texts belong to (a job's store knows it; the request path's only reads)."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock, subject: str | None = None) -> None:
        self._sessions = sessions
        self._clock = clock
        self.subject = subject

    def for_subject(self, subject: str) -> DbStore:
        return DbStore(self._sessions, self._clock, subject)

    def get(self, key: CacheKey) -> CachedTranslation | None:
        with self._sessions() as session:
            row = session.execute(
                select(StoredTranslation.text, StoredTranslation.engine).where(
                    StoredTranslation.source == key.source, StoredTranslation.target == key.target,
                    StoredTranslation.engine == key.engine, StoredTranslation.digest == key.digest)).first()
        return None if row is None else CachedTranslation(row.text, row.engine)

    def put(self, key: CacheKey, value: CachedTranslation) -> None:
        with self._sessions() as session:
            actions.store(session, key, value, self.subject, self._clock.now())


class TieredStore:
    """``cache`` in front of ``db``."""

    def __init__(self, cache: Cache, db: DbStore) -> None:
        self._cache = CacheStore(cache)
        self.db = db

    def for_subject(self, subject: str) -> TieredStore:
        tiered = TieredStore.__new__(TieredStore)
        tiered._cache, tiered.db = self._cache, self.db.for_subject(subject)
        return tiered

    def get(self, key: CacheKey) -> CachedTranslation | None:
        value = self._cache.get(key)
        if value is None:
            value = self.db.get(key)
            if value is not None:
                self._cache.put(key, value)
        return value

    def put(self, key: CacheKey, value: CachedTranslation) -> None:
        self.db.put(key, value)
        self._cache.put(key, value)

    def forget(self, key: CacheKey) -> None:
        """Drop ``key`` from the shared cache (its row is deleted by ``actions.forget_subject``)."""
        self._cache.delete(key)
