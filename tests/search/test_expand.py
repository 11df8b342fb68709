"""Dictionary query translation (CC-CEDICT): a query's words in the other language."""

from __future__ import annotations

from redbridge.search.expand import MAX_TERMS, translate_query


def test_english_words_get_their_commonest_chinese_headwords() -> None:
    terms = translate_query("soup dumplings in Suzhou")
    assert "苏州" in terms
    assert "饺" in terms
    assert "in" not in terms
    assert "比萨" in translate_query("best pizza in New York")
    assert "纽约" in translate_query("best pizza in New York")  # "New York" as a phrase


def test_chinese_words_get_the_head_of_their_first_sense() -> None:
    assert translate_query("波士顿 龙虾卷") == ["Boston", "lobster"]  # not "capital of Massachusetts"
    assert "dumpling" in translate_query("小笼包")
    assert translate_query("猫咪") == ["kitty"]


def test_nothing_known_nothing_added_and_long_queries_are_capped() -> None:
    assert translate_query("huoguo") == []
    assert translate_query("!!! 😀 ...") == []
    assert translate_query("") == []
    long = " ".join(["cat dog rice tea noodle soup fish beef pork duck"] * 10)
    assert len(translate_query(long)) <= MAX_TERMS
    assert len(set(translate_query(long))) == len(translate_query(long))
