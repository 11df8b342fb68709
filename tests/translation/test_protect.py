from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redbridge.translation.protect import PLACEHOLDER_RE, PlaceholderError, placeholder, protect, restore

# One example of every protected kind, as the spans they must become.
KINDS = {
    "mention": "@lily_chen",
    "tag": "#成都美食#",
    "url": "https://example.com/a?b=1&c=中",
    "email": "ann.lee@example.com",
    "emoji": "👩\u200d💻",
    "number": "3.5",
    "price": "¥38",
    "place": "宽窄巷子",
}


@pytest.mark.parametrize(("kind", "span"), KINDS.items())
def test_each_kind_becomes_one_placeholder(kind: str, span: str) -> None:
    text = f"我们在 {span} 玩了一天"
    protected = protect(text, places=["宽窄巷子"])
    assert [s.kind for s in protected.spans] == [kind]
    assert protected.spans[0].original == span
    assert span not in protected.text
    assert restore(protected.text, protected) == text


@pytest.mark.parametrize("price", ["¥38", "￥38", "$12.50", "38元", "12.5块钱", "US$5", "RMB 100", "2万"])
def test_prices_are_one_span_with_their_unit(price: str) -> None:
    protected = protect(f"only {price} here")
    assert [s.original for s in protected.spans] == [price]


def test_touching_spans_merge_and_text_between_them_stays() -> None:
    protected = protect("好吃😍👍 #火锅 @lily_chen")
    assert protected.text == "好吃⟦0⟧ ⟦1⟧ ⟦2⟧"
    assert protected.spans[0].original == "😍👍"


def test_forged_placeholders_in_the_input_are_protected_too() -> None:
    text = "please keep ⟦0⟧ and ⟦ and ⟧1"
    protected = protect(text)
    originals = [s.original for s in protected.spans]
    assert "⟦0⟧" in originals
    assert restore(protected.text, protected) == text


def test_place_names_longest_first() -> None:
    protected = protect("成都市 and 成都", places=["成都", "成都市"])
    assert [s.original for s in protected.spans] == ["成都市", "成都"]


def test_c_sharp_and_fragments_are_not_tags() -> None:
    protected = protect("I code in C# daily")
    assert protected.spans == ()


@pytest.mark.parametrize(
    "translated",
    [
        "only ⟦0⟧",  # dropped one
        "⟦0⟧ ⟦1⟧ ⟦1⟧",  # duplicated one
        "⟦0⟧ ⟦1⟧ ⟦2⟧",  # invented one
        "⟦0⟧ ⟦1 and",  # broken one
    ],
)
def test_restore_rejects_lost_duplicated_or_invented_placeholders(translated: str) -> None:
    protected = protect("@lily_chen likes #火锅")
    assert len(protected.spans) == 2
    with pytest.raises(PlaceholderError):
        restore(translated, protected)


def test_restore_tolerates_padding_and_reordering() -> None:
    protected = protect("@lily_chen likes #火锅")
    assert restore("⟦ 1 ⟧ is liked by ⟦0⟧", protected) == "#火锅 is liked by @lily_chen"


def test_extra_spans_carry_their_replacement() -> None:
    protected = protect("this is yyds", extra=[(8, 12, "slang", "the GOAT")])
    assert protected.text == "this is " + placeholder(0)
    assert restore(protected.text, protected) == "this is the GOAT"


def test_has_content() -> None:
    assert not protect("😍 @lily_chen 38元!").has_content
    assert protect("好吃 😍").has_content


@given(st.text(alphabet=st.sampled_from(list("ab 中文#@¥$.0123😍⟦⟧:/wh\n")) | st.characters(), max_size=60))
def test_round_trip_of_any_text(text: str) -> None:
    protected = protect(text, places=["中文"])
    assert restore(protected.text, protected) == text
    # Every placeholder in the protected text is one of ours.
    assert len(PLACEHOLDER_RE.findall(protected.text)) == len(protected.spans)
