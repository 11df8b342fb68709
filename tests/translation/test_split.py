from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redbridge.translation.split import pack, split_sentences


def sentences(text: str) -> list[str]:
    return [s for s, _ in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我们去成都吧！你呢？好的。", ["我们去成都吧！", "你呢？", "好的。"]),
        ("他说：“太好了！”然后走了。", ["他说：“太好了！”", "然后走了。"]),
        ("真的吗？！太棒了……我也想去", ["真的吗？！", "太棒了……", "我也想去"]),
        ("It costs 3.50 today. Really? Yes!", ["It costs 3.50 today.", "Really?", "Yes!"]),
        ("Mr. Smith met Dr. Lee at St. Paul's. Then lunch.", ["Mr. Smith met Dr. Lee at St. Paul's.", "Then lunch."]),
        ("Bring snacks, e.g. chips. And water.", ["Bring snacks, e.g. chips.", "And water."]),
        ("J. K. Rowling wrote it. Wait...", ["J. K. Rowling wrote it.", "Wait..."]),
        ("see example.com/x.html now. ok", ["see example.com/x.html now.", "ok"]),
        ("line one\nline two\n\nline three", ["line one", "line two", "line three"]),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_separators_are_kept_exactly() -> None:
    text = "One.  Two!\n\n  三。四？ "
    pieces = split_sentences(text)
    assert pieces == [("One.", "  "), ("Two!", "\n\n  "), ("三。", ""), ("四？", " ")]


@given(st.text(alphabet=st.sampled_from(list("ab 。！?.…\n”“3中")), max_size=80))
def test_split_is_lossless(text: str) -> None:
    assert "".join(s + sep for s, sep in split_sentences(text)) == text


def test_pack_respects_size_sentence_count_and_line_breaks() -> None:
    pieces = split_sentences("A a. B b. C c.\nD d.")
    assert pack(pieces, 100, 2) == [[("A a.", " "), ("B b.", " ")], [("C c.", "\n")], [("D d.", "")]]


def test_pack_cuts_an_over_long_sentence_at_soft_breaks() -> None:
    long = "word " * 30 + "end."
    groups = pack(split_sentences(long), 40)
    assert all(len(part) <= 40 for group in groups for part, _ in group)
    assert "".join(part + sep for group in groups for part, sep in group) == long
