"""Language identification and match normalisation (redbridge.text.lang)."""

from __future__ import annotations

import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redbridge.text import lang
from redbridge.text.lang import detect_language, normalize_for_match


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Nothing to go on.
        ("", "other"),
        ("   \n\t", "other"),
        ("12345", "other"),
        ("🔥🔥🔥", "other"),
        ("https://example.com/a/b", "other"),
        # Short and slangy English, where the model alone is unsure.
        ("great food", "en"),
        ("cat", "en"),
        ("ok", "en"),
        ("omg yes", "en"),
        ("lol 😭😭", "en"),
        ("Hi RedNote! Just joined from Ohio, here for the cat pictures.", "en"),
        ("asking for skincare recs!\n\n#skincare #tiktokrefugee", "en"),
        # Full-width Latin from a Chinese IME is still English.
        ("ＧＯＯＤ ＦＯＯＤ", "en"),
        # Chinese, Simplified and Traditional, with or without a stray English word.
        ("我今天去吃火锅了", "zh"),
        ("我今天去吃火鍋了，還有甜品", "zh"),
        ("今天去成都吃了hotpot真的太好吃了", "zh"),
        ("#美食 #探店", "zh"),
        # Real code-switching.
        ("My first 火锅 experience in 成都!", "mixed"),
        ("Please correct my Chinese: 我喜欢吃火锅。", "mixed"),
        # Other languages, including ones written with Han characters.
        ("こんにちは、東京へ行きました", "other"),
        ("안녕하세요 반갑습니다", "other"),
        ("Привет, как дела?", "other"),
        ("Bonjour tout le monde", "other"),
        ("Hola amigos, ¿cómo están?", "other"),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_english_text_mentioning_a_chinese_place_stays_english() -> None:
    # A single Han place name in a long English sentence is not code-switching.
    text = "成都 hotpot is amazing, I recommend it to everyone visiting China this spring"
    assert detect_language(text) == "en"


def test_long_text_is_sampled_beyond_the_libraries_80_character_default() -> None:
    # The first 80 characters alone ("...dan dan no") read as Indonesian to the lite model.
    text = (
        "Is this real dan dan noodles? Can someone recommend a good dan dan noodles spot near "
        "Arizona? Just tried them for the first time with the group chat and I get the hype now. 😭"
    )
    assert detect_language(text) == "en"


def test_detection_never_uses_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("language detection tried to open a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    # A fresh detector proves model loading itself stays offline, not just a warm cache.
    lang._detector.cache_clear()
    assert detect_language("this is definitely an english sentence") == "en"
    assert detect_language("Ceci est une phrase en français, évidemment.") == "other"


@given(st.text(max_size=300))
def test_detect_language_is_total(text: str) -> None:
    assert detect_language(text) in {"en", "zh", "mixed", "other"}


@given(st.text(alphabet="我们今天去吃火锅好开心成都美食探店", min_size=1, max_size=50))
def test_han_only_text_is_chinese(text: str) -> None:
    assert detect_language(text) == "zh"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＣＡＦÉ 火鍋", "café 火锅"),
        ("Straße", "strasse"),
        ("護膚心得", "护肤心得"),
        ("ＴｉｋＴｏｋ", "tiktok"),
        ("already plain", "already plain"),
        ("", ""),
    ],
)
def test_normalize_for_match(text: str, expected: str) -> None:
    assert normalize_for_match(text) == expected


def test_traditional_and_simplified_spellings_match() -> None:
    assert normalize_for_match("臺灣美食攻略") == normalize_for_match("台湾美食攻略")


def test_opencc_converter_is_built_once() -> None:
    lang.opencc_converter.cache_clear()
    for _ in range(3):
        normalize_for_match("繁體")
    info = lang.opencc_converter.cache_info()
    assert (info.misses, info.hits) == (1, 2)


def test_a_lone_surrogate_neither_raises_nor_is_lost() -> None:
    assert normalize_for_match("臺\ud800灣") == "台\ud800湾"
    assert lang.detect_language("a\ud800\n") in {"en", "other"}
