from __future__ import annotations

import pytest

from redbridge.translation.validate import RejectedError, check_content
from tests.translation.fakes import ESSAY


def test_a_plausible_translation_passes() -> None:
    check_content("我们去⟦0⟧吃火锅吧！", "Let's go to ⟦0⟧ for hotpot!", "en")
    check_content("Let's go to ⟦0⟧ for hotpot!", "我们去⟦0⟧吃火锅吧！", "zh-Hans")
    check_content("好的", "OK", "en")  # short text: slack, and too few letters to judge


@pytest.mark.parametrize(
    ("source", "output", "target", "code"),
    [
        ("这个好吃", ESSAY, "en", "preface"),
        ("这个好吃", "It is important to remember. " * 10, "en", "length-ratio"),
        ("这个好吃", "This is tasty.\nNote: informal.", "en", "added-lines"),
        ("这个好吃", "Here is the translation: this is tasty", "en", "preface"),
        ("这个好吃", "翻译如下：这个好吃", "zh-Hans", "preface"),
        ("这个口红好好看，我们去成都吃火锅吧", "这个口红好好看，我们去成都吃火锅吧", "en", "wrong-language"),
        ("The lipstick looks great, let's go eat hotpot", "The lipstick looks great, let's go eat hotpot",
         "zh-Hans", "wrong-language"),
        ("The lipstick looks great and we should go", "Le rouge à lèvres est très beau et nous devrions y aller",
         "zh-Hans", "wrong-language"),
        ("The lipstick looks great and we should go to eat hotpot in the city tonight", "好", "zh-Hans",
         "length-ratio"),
    ],
)
def test_rejections(source: str, output: str, target: str, code: str) -> None:
    with pytest.raises(RejectedError) as caught:
        check_content(source, output, target)  # type: ignore[arg-type]
    assert caught.value.code == code


def test_a_text_that_itself_opens_like_a_preface_may_be_translated_like_one() -> None:
    check_content("Sure, here is my review of the hotpot place", "当然，这是我对这家火锅店的评价", "zh-Hans")
