"""The analyser: the same terms at index and query time, whatever the script or width."""

from __future__ import annotations

import pytest

from redbridge.search.analysis import MAX_TERM_CHARS, analyse, query_terms, terms


def test_search_mode_segmentation_finds_the_parts_of_a_long_word() -> None:
    indexed = set(terms("苏州小笼包真好吃"))
    assert {"苏州", "小笼包"} <= indexed
    assert set(query_terms("小笼包")) <= indexed


def test_traditional_folds_to_simplified() -> None:
    assert terms("蘇州") == terms("苏州") == ["苏州"]
    assert analyse("蘇州小籠包") == analyse("苏州小笼包")


def test_english_is_lower_cased_and_stemmed() -> None:
    assert terms("Dumplings") == terms("dumpling")
    assert terms("ROLLS") == terms("roll")


def test_full_width_and_accents_fold() -> None:
    assert terms("ＡＢＣ") == ["abc"]
    assert terms("Café") == terms("cafe")


def test_mixed_script_text() -> None:
    assert {"boston", "lobster", "roll", "龙虾"} <= set(terms("Boston lobster rolls 波士顿龙虾卷"))


@pytest.mark.parametrize("text", ["", "   ", "🦞🍜🔥", "!!! ??? …… ，。！", '( ) " * : ^ ~ -'])
def test_nothing_but_symbols_has_no_terms(text: str) -> None:
    assert terms(text) == []


def test_query_syntax_is_only_words() -> None:
    assert query_terms('AND OR ( " * title:x') == ["and", "or", "titl", "x"]


def test_query_terms_are_distinct_and_terms_are_bounded() -> None:
    assert query_terms("soup soup Soup") == ["soup"]
    assert all(len(t) <= MAX_TERM_CHARS for t in terms("x" * 500))
