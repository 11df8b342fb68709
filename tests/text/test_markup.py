"""RedNote-style #tag / @mention markup (redbridge.text.markup)."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redbridge.text.markup import (
    MAX_MENTIONS,
    MAX_TAG_LEN,
    MAX_TAGS,
    extract_mentions,
    extract_tags,
    iter_markup,
    normalize_tag,
    tokenize_markup,
)

USERNAME = re.compile(r"[A-Za-z0-9_]{3,30}")


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("#美食 #探店", ["美食", "探店"]),
        ("今天吃了#火锅 好开心", ["火锅"]),  # no space needed before a tag in Chinese
        ("#美食#好吃", ["美食"]),  # the closing # ends the tag; 好吃 is text
        ("#成都美食# #火锅#", ["成都美食", "火锅"]),
        ("#美食[话题]# #探店[话题]#", ["美食", "探店"]),  # RedNote's copy-paste form
        ("＃美食 ＃ＯＯＴＤ", ["美食", "ootd"]),  # full-width marker and letters
        ("#TikTokRefugee #tiktokrefugee #TIKTOKREFUGEE", ["tiktokrefugee"]),
        ("#first_time #2025 #1", ["first_time"]),  # all-digit names are not tags
        ("#ootd🔥 #food!", ["ootd", "food"]),
        ("C# and issue#12 and https://example.com/page#section", []),
        ("# not a tag, ## neither", []),
        ("#cafe\u0301", ["café"]),  # decomposed accent is part of the tag, then NFKC
        ("", []),
    ],
)
def test_extract_tags(text: str, tags: list[str]) -> None:
    assert extract_tags(text) == tags


def test_tags_are_capped_in_count_and_length() -> None:
    text = " ".join(f"#tag{i}" for i in range(15))
    assert extract_tags(text) == [f"tag{i}" for i in range(MAX_TAGS)]
    long_tag = "#" + "a" * 50
    assert extract_tags(long_tag) == ["a" * MAX_TAG_LEN]


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("thanks @mei_chengdu!", ["mei_chengdu"]),
        ("谢谢@alex_travels 的推荐", ["alex_travels"]),
        ("@Mei @mei @MEI", ["Mei"]),  # one person, one notification
        ("@ab is too short, @abc is fine", ["abc"]),
        ("@" + "a" * 31, []),  # too long: not silently cut to 30
        ("@" + "a" * 30, ["a" * 30]),
        ("mail me at a.b@example.com or bob@example.com", []),
        ("＠fullwidth_at", ["fullwidth_at"]),
        ("end of sentence @alice.", ["alice"]),
    ],
)
def test_extract_mentions(text: str, mentions: list[str]) -> None:
    assert extract_mentions(text) == mentions


def test_mentions_are_capped() -> None:
    text = " ".join(f"@user{i:02d}" for i in range(25))
    assert extract_mentions(text) == [f"user{i:02d}" for i in range(MAX_MENTIONS)]


def test_tokenize_markup_segments() -> None:
    text = "第一次吃#火锅# 太辣了 @mei_chengdu 推荐的 #Chengdu"
    assert tokenize_markup(text) == [
        ("text", "第一次吃"),
        ("tag", "火锅"),
        ("text", " 太辣了 "),
        ("mention", "mei_chengdu"),
        ("text", " 推荐的 "),
        ("tag", "chengdu"),
    ]


def test_iter_markup_keeps_what_the_author_typed() -> None:
    tokens = list(iter_markup("I love #TikTokRefugee# and @Alex_1"))
    assert [t.raw for t in tokens] == ["I love ", "#TikTokRefugee#", " and ", "@Alex_1"]
    assert [t.value for t in tokens] == ["I love ", "tiktokrefugee", " and ", "Alex_1"]


def test_rejected_tags_stay_text_and_merge_with_neighbours() -> None:
    assert tokenize_markup("room #1 is #2") == [("text", "room #1 is #2")]


def test_plain_text_is_one_segment_and_empty_text_none() -> None:
    assert tokenize_markup("<script>alert(1)</script>") == [("text", "<script>alert(1)</script>")]
    assert tokenize_markup("") == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("美食", "美食"), ("#Food#", "food"), ("ＯＯＴＤ", "ootd"), ("2025", None), ("!!!", None), ("", None)],
)
def test_normalize_tag(raw: str, expected: str | None) -> None:
    assert normalize_tag(raw) == expected


# Text drawn from the characters that matter to the grammar, plus arbitrary unicode.
markup_text = st.text(alphabet=st.sampled_from(list("#＃@＠_ a1.美食[话题]\nA")), max_size=80) | st.text(
    max_size=200
)


@given(markup_text)
def test_tokens_cover_the_input_exactly(text: str) -> None:
    tokens = list(iter_markup(text))
    assert "".join(t.raw for t in tokens) == text
    # Text is merged: never two text tokens in a row, never an empty token.
    kinds = [t.kind for t in tokens]
    assert all(not (a == b == "text") for a, b in itertools.pairwise(kinds))
    assert all(t.raw for t in tokens)
    assert tokenize_markup(text) == [(t.kind, t.value) for t in tokens]
    for kind, value in tokenize_markup(text):
        if kind == "text":
            continue
        if kind == "tag":
            assert normalize_tag(value) == value
        else:
            assert kind == "mention"
            assert USERNAME.fullmatch(value)


@given(markup_text)
def test_extracted_tags_and_mentions_are_well_formed(text: str) -> None:
    tags = extract_tags(text)
    assert len(tags) <= MAX_TAGS
    assert len(set(tags)) == len(tags)
    for tag in tags:
        assert 0 < len(tag) <= MAX_TAG_LEN
        assert tag == tag.lower()
        assert normalize_tag(tag) == tag
    mentions = extract_mentions(text)
    assert len(mentions) <= MAX_MENTIONS
    assert len({m.casefold() for m in mentions}) == len(mentions)
    assert all(USERNAME.fullmatch(m) for m in mentions)
