"""Dense retrieval on the bilingual relevance set: language centring is what makes it cross the
language line (figures in docs/benchmarks.md, "Search: relevance"). Floors, not targets: they
fail if a change to the embeddings or the centring loses what was measured."""

from __future__ import annotations

import pytest

from tests.search.evaluate import DenseRankers, Scores, score
from tests.search.relevance import load

# Measured 2026-12-04: raw 0.325 / centred 0.684 cross-lingual Recall@10; 0.447 / 0.721 overall.
CENTRED_CROSS_LINGUAL_RECALL = 0.65
CENTRED_ALL_RECALL = 0.68


@pytest.fixture(scope="module")
def measured() -> tuple[Scores, Scores]:
    relevance = load()
    dense = DenseRankers(relevance)
    return score(relevance, dense.raw), score(relevance, dense.centred)


def test_centred_vectors_cross_the_language_line(measured: tuple[Scores, Scores]) -> None:
    raw, centred = measured
    assert centred.recall["cross_lingual"] >= CENTRED_CROSS_LINGUAL_RECALL
    assert centred.recall["all"] >= CENTRED_ALL_RECALL
    # Centring must beat the raw vectors in both directions, not trade one for the other.
    for kind in ("en_to_zh", "zh_to_en"):
        assert centred.recall[kind] > raw.recall[kind], kind
        assert centred.ndcg[kind] > raw.ndcg[kind], kind
