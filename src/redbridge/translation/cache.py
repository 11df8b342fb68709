"""The translation cache: computed once per (source, target, engine, text), never once per viewer.

Key: ``(source language, target language, engine name — which includes the model version —,
sha256 of the text)``. Content addressing is what makes invalidation on edit automatic: an
edited note has a new hash, so it misses and is translated afresh, and nothing needs to find
and delete the old entry (it ages out). Places and the protection rules are part of what is
translated, so they are hashed with the text.

Two tiers:

* :class:`TranslationCache` — an in-process LRU in front of
* a :class:`TranslationStore` — the shared tier every process sees. This module ships
  :class:`CacheStore` over ``redbridge.core.cache.Cache`` (the in-process dict on one machine,
  Redis in cluster mode); the product layers it over the ``translations`` table
  (``redbridge.translations.store``), behind the same protocol.

A 50,000-viewer live room therefore costs one engine call per message and target language:
the first viewer's request computes and stores, every other viewer hits (the benchmark in
``bench/translation.py`` counts the calls).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from redbridge.core.cache import Cache, Lru

__all__ = ["CacheKey", "CacheStore", "CachedTranslation", "TranslationCache", "TranslationStore", "cache_key"]

# A year: entries are immutable (content-addressed); the bound only lets Redis reclaim memory.
STORE_TTL_S: Final = 365 * 24 * 3600.0


@dataclass(frozen=True, slots=True)
class CacheKey:
    source: str
    target: str
    engine: str
    digest: str

    def as_str(self) -> str:
        return f"tr:{self.source}:{self.target}:{self.engine}:{self.digest}"


@dataclass(frozen=True, slots=True)
class CachedTranslation:
    text: str
    engine: str


def cache_key(source: str, target: str, engine: str, text: str, places: Sequence[str] = ()) -> CacheKey:
    material = text if not places else text + "\x00" + "\x00".join(sorted(places))
    digest = hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()
    return CacheKey(source, target, engine, digest)


class TranslationStore(Protocol):
    """The shared tier: get returns None on a miss; put never raises for a full store."""

    def get(self, key: CacheKey) -> CachedTranslation | None: ...
    def put(self, key: CacheKey, value: CachedTranslation) -> None: ...


class CacheStore:
    """A :class:`TranslationStore` on a ``core.cache.Cache`` (in-process dict or Redis)."""

    def __init__(self, cache: Cache, ttl: float = STORE_TTL_S) -> None:
        self._cache = cache
        self._ttl = ttl

    def get(self, key: CacheKey) -> CachedTranslation | None:
        raw = self._cache.get(key.as_str())
        if raw is None:
            return None
        data = json.loads(raw)
        return CachedTranslation(str(data["t"]), str(data["e"]))

    def put(self, key: CacheKey, value: CachedTranslation) -> None:
        payload = json.dumps({"t": value.text, "e": value.engine}, ensure_ascii=False).encode()
        self._cache.set(key.as_str(), payload, self._ttl)

    def delete(self, key: CacheKey) -> None:
        self._cache.delete(key.as_str())


class TranslationCache:
    """The LRU in front of an optional shared store; a store hit is kept in the LRU too."""

    def __init__(self, store: TranslationStore | None = None, size: int = 20_000) -> None:
        self._lru: Lru[CacheKey, CachedTranslation] = Lru(size)
        self._store = store
        self.hits = 0
        self.misses = 0

    def get(self, key: CacheKey) -> CachedTranslation | None:
        value = self._lru.get(key)
        if value is None and self._store is not None:
            value = self._store.get(key)
            if value is not None:
                self._lru.put(key, value)
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def put(self, key: CacheKey, value: CachedTranslation) -> None:
        self._lru.put(key, value)
        if self._store is not None:
            self._store.put(key, value)
