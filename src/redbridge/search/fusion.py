"""Fusing rankings: keyword and dense retrieval each return note ids best first, on scores that
do not compare (BM25 against cosine), so they are fused by rank — reciprocal rank fusion (Cormack,
Clarke & Büttcher, 2009): ``score(d) = Σ weight / (k + rank(d))``, rank from 1. ``k = 60`` is the
paper's, which keeps one list's top hit from drowning the other's."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Final, TypeVar

RRF_K: Final = 60
T = TypeVar("T", bound=Hashable)


def reciprocal_rank_fusion(rankings: Sequence[Sequence[T]], weights: Sequence[float] | None = None,
                           k: int = RRF_K) -> list[T]:
    """The ids of every ranking, best fused score first; ties keep the order of first appearance
    (the first ranking's, then the next's)."""
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[T, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        seen: set[T] = set()
        for rank, doc in enumerate(ranking, start=1):
            if doc in seen:  # a ranking that repeats an id counts it once, at its best rank
                continue
            seen.add(doc)
            scores[doc] = scores.get(doc, 0.0) + weight / (k + rank)
    order = {doc: i for i, doc in enumerate(scores)}
    return sorted(scores, key=lambda doc: (-scores[doc], order[doc]))
