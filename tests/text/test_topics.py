"""Topic set and keyword topic inference (redbridge.text.topics)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redbridge.text.topics import TOPIC_KEYWORDS, TOPIC_LABELS, TOPICS, infer_topic


def test_topic_set_is_fixed_and_labelled_in_both_languages() -> None:
    assert TOPICS == (
        "food",
        "travel",
        "skincare",
        "fashion",
        "pets",
        "study",
        "fitness",
        "home",
        "photography",
        "music",
    )
    assert set(TOPIC_LABELS) == set(TOPICS) == set(TOPIC_KEYWORDS)
    assert TOPIC_LABELS["food"] == {"en": "Food", "zh": "美食"}
    for labels in TOPIC_LABELS.values():
        assert set(labels) == {"en", "zh"}
        assert labels["en"].isascii()
        assert not labels["zh"].isascii()


@pytest.mark.parametrize(
    ("title", "body", "tags", "expected"),
    [
        ("成都火锅探店", "太好吃了，人均68", [], "food"),
        ("My first hotpot!", "so spicy, my mouth is numb", [], "food"),
        ("周末去哪儿｜大理三天两晚攻略", "洱海边的民宿超美", [], "travel"),
        ("Planning a trip to Chengdu", "any hotel recommendations?", [], "travel"),
        ("油皮护肤心得", "这瓶防晒真的好用", [], "skincare"),
        ("Asking for recs", "which sunscreen and serum should I try?", [], "skincare"),
        ("今日穿搭", "", ["ootd"], "fashion"),
        ("猫咪日常", "煤球又拆家了", [], "pets"),
        ("Cat tax", "meet my kitten Mochi", [], "pets"),
        ("考研笔记", "今天在图书馆复习了8个小时", [], "study"),
        ("study with me", "4 hours of organic chem before the exam", [], "study"),
        ("减脂第4周", "每天跑步30分钟", [], "fitness"),
        ("出租屋改造", "收纳好物分享", [], "home"),
        ("胶片摄影", "这组是用35mm相机拍的", [], "photography"),
        ("弹唱一首晴天", "练了两周吉他", [], "music"),
        # Traditional Chinese and full-width text are normalised before matching.
        ("護膚心得", "", [], "skincare"),
        ("ＨＯＴＰＯＴ night", "", [], "food"),
        # English keywords match inside Chinese text too (no spaces around them).
        ("我的cat好可爱", "", [], "pets"),
        # Compound tags still say something.
        ("", "", ["chengdufood"], "food"),
        ("", "", ["#Skincare"], "skincare"),
    ],
)
def test_infer_topic(title: str, body: str, tags: list[str], expected: str) -> None:
    assert infer_topic(title, body, tags) == expected


def test_nothing_matching_gives_none() -> None:
    assert infer_topic("hello", "nothing to see here", []) is None
    assert infer_topic("", "", []) is None
    assert infer_topic("", "", ["random"]) is None


def test_english_keywords_need_word_boundaries() -> None:
    # "cat" inside "education" and "run" inside "brunt" must not count.
    assert infer_topic("", "education bears the brunt", []) is None


def test_tags_outweigh_body_words() -> None:
    body = "after the gym we had noodles"  # one fitness word, one food word
    assert infer_topic("", body, ["fitness"]) == "fitness"
    assert infer_topic("", body, ["美食"]) == "food"


def test_title_outweighs_body() -> None:
    assert infer_topic("My skincare routine", "then we got coffee", []) == "skincare"


def test_repeating_a_word_does_not_win() -> None:
    # Distinct keywords count, not occurrences: spam of one word loses to two real signals.
    body = "hotel hotel hotel hotel, but the hotpot and the dumplings were the highlight"
    assert infer_topic("", body, []) == "food"


def test_ties_go_to_the_earlier_topic() -> None:
    assert infer_topic("", "coffee and a flight", []) == "food"
    assert infer_topic("", "a flight and coffee", []) == "food"


@given(st.text(max_size=100), st.text(max_size=200), st.lists(st.text(max_size=20), max_size=5))
def test_infer_topic_is_total(title: str, body: str, tags: list[str]) -> None:
    assert infer_topic(title, body, tags) in {*TOPICS, None}
