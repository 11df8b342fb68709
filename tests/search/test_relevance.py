"""Retrieval on the bilingual relevance set: language centring is what makes dense retrieval cross
the language line, the dictionary does it for keywords, and the fusion of the two is what search
ranks by (figures in docs/benchmarks.md, "Search: relevance"). Floors, not targets: they fail if a
change to the embeddings, the centring, the dictionary or the fusion loses what was measured."""

from __future__ import annotations

import pytest

from tests.search.evaluate import DenseRankers, KeywordRankers, Scores, hybrid, score
from tests.search.relevance import load

# Measured 2026-12-04 (docs/benchmarks.md): cross-lingual Recall@10 raw 0.325, centred 0.684,
# hybrid 0.669; all queries 0.447 / 0.721 / 0.730; keyword 0.393, with the dictionary 0.608.
CENTRED_CROSS_LINGUAL_RECALL = 0.65
CENTRED_ALL_RECALL = 0.68
HYBRID_ALL_RECALL = 0.70
HYBRID_CROSS_LINGUAL_RECALL = 0.64


@pytest.fixture(scope="module")
def measured() -> dict[str, Scores]:
    relevance = load()
    dense = DenseRankers(relevance)
    keyword = KeywordRankers(relevance)
    try:
        return {"raw": score(relevance, dense.raw), "centred": score(relevance, dense.centred),
                "keyword": score(relevance, keyword.typed), "expanded": score(relevance, keyword.expanded),
                "hybrid": score(relevance, hybrid(keyword, dense))}
    finally:
        keyword.close()


def test_the_dictionary_lets_keywords_cross_the_language_line(measured: dict[str, Scores]) -> None:
    assert measured["expanded"].recall["cross_lingual"] > measured["keyword"].recall["cross_lingual"] + 0.2
    assert measured["expanded"].recall["all"] > measured["keyword"].recall["all"]


def test_hybrid_is_at_least_as_good_overall_as_either_side(measured: dict[str, Scores]) -> None:
    hybrid_scores = measured["hybrid"]
    assert hybrid_scores.recall["all"] >= HYBRID_ALL_RECALL
    assert hybrid_scores.recall["cross_lingual"] >= HYBRID_CROSS_LINGUAL_RECALL
    assert hybrid_scores.ndcg["all"] >= max(measured["expanded"].ndcg["all"], measured["centred"].ndcg["all"]) - 0.01


def test_centred_vectors_cross_the_language_line(measured: dict[str, Scores]) -> None:
    raw, centred = measured["raw"], measured["centred"]
    assert centred.recall["cross_lingual"] >= CENTRED_CROSS_LINGUAL_RECALL
    assert centred.recall["all"] >= CENTRED_ALL_RECALL
    # Centring must beat the raw vectors in both directions, not trade one for the other.
    for kind in ("en_to_zh", "zh_to_en"):
        assert centred.recall[kind] > raw.recall[kind], kind
        assert centred.ndcg[kind] > raw.ndcg[kind], kind
