from __future__ import annotations

import re

import pytest

from redbridge.text import emoji

_SEQUENCE = re.compile(emoji.SEQUENCE)


@pytest.mark.parametrize("text", ["😍", "👍🏽", "👩‍👩‍👧", "🇨🇳", "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
                                  "1️⃣", "❤️", "©"])
def test_one_whole_emoji_is_one_sequence(text: str) -> None:
    assert _SEQUENCE.fullmatch(text)


def test_pictographs_and_not() -> None:
    assert all(emoji.is_pictograph(ch) for ch in "😍🔥©™⌚🇨")
    assert not any(emoji.is_pictograph(ch) for ch in "a中1,。\ufe0f")
    # A regional indicator alone is not a pictograph that stands on its own.
    assert not re.fullmatch(f"[{emoji.PICTOGRAPH}]", "🇨")
