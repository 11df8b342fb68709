from __future__ import annotations

import pytest

from redbridge.translation.mixed import keep_spans, segment, source_language
from redbridge.translation.protect import protect
from redbridge.translation.slang import SLANG, gloss


def test_segments_by_script_and_joins_english_words() -> None:
    runs = segment("OMG 这个 lipstick 好好看, my first 火锅")
    assert [(r.lang, r.text) for r in runs] == [
        ("en", "OMG"), ("zh", "这个"), ("en", "lipstick"), ("zh", "好好看"), ("en", "my first"), ("zh", "火锅"),
    ]


def test_slang_is_chinese_in_latin_letters() -> None:
    runs = segment("yyds! XSWL this is fine")
    assert [(r.lang, r.text) for r in runs] == [("slang", "yyds"), ("slang", "XSWL"), ("en", "this is fine")]


@pytest.mark.parametrize(
    ("text", "target", "source"),
    [
        ("OMG 这个 lipstick 好好看", "en", "zh"),
        ("OMG 这个 lipstick 好好看", "zh-Hans", "en"),
        ("我们去成都吃火锅吧", "en", "zh"),
        ("The hotpot was great", "zh-Hant", "en"),
        ("yyds 这家火锅", "en", "zh"),
        ("Bonjour à tous, comment ça va aujourd'hui", "en", None),
        ("😂😂 123", "en", None),
    ],
)
def test_source_language(text: str, target: str, source: str | None) -> None:
    assert source_language(text, target) == source  # type: ignore[arg-type]


def test_runs_in_the_readers_language_are_kept_for_an_english_reader() -> None:
    text = "OMG 这个 lipstick 好好看"
    protected = protect(text, extra=keep_spans(text, "zh", "en"))
    assert protected.text == "⟦0⟧ 这个 ⟦1⟧ 好好看"
    assert [s.original for s in protected.spans] == ["OMG", "lipstick"]


def test_runs_in_the_readers_language_are_kept_for_a_chinese_reader() -> None:
    text = "my first 火锅 in 成都"
    protected = protect(text, extra=keep_spans(text, "en", "zh-Hans"))
    assert protected.text == "my first ⟦0⟧ in ⟦1⟧"


def test_slang_is_glossed_for_english_and_kept_for_chinese() -> None:
    text = "这家店 yyds"
    for_en = protect(text, extra=keep_spans(text, "zh", "en"))
    assert for_en.spans[0].replacement == "the GOAT (永远的神)"
    for_zh = protect(text, extra=keep_spans(text, "en", "zh-Hans"))
    assert [s.replacement for s in for_zh.spans] == ["这家店", "yyds"]


def test_slang_table_entries_are_not_english_words() -> None:
    # English words (and sizes, units) that a whole-word match must never gloss.
    english = {"yes", "no", "ok", "lol", "omg", "the", "is", "a", "xs", "xl", "xxl", "sm", "md", "lg"}
    assert not english & set(SLANG)
    assert gloss("YYDS") == "the GOAT (永远的神)"
    assert gloss("hello") is None
