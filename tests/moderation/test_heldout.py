"""The text pipeline against the held-out evaluation set (issue 8, "Evaluation and tests").

``eval_set.yaml`` was written alongside the rules, so its figures flatter them. The held-out set
(``heldout_dev.yaml`` + ``heldout_test.yaml``, 476 items) was written by someone who had not read
the rules, then split at random per label into two halves. The term lists were tuned against the
dev half's misses only; the test half is measured, never tuned against: its figures are the honest
ones (docs/benchmarks.md, "Moderation: held-out evaluation").

The thresholds below are a little under what the test half measured when the tuning stopped; the
issue's targets (recall ≥ 90 %, ≤ 2 % false flags, ≥ 85 % recall per language) are
``evaluation.MIN_RECALL`` etc. and are *not* all met on the test half (docs/moderation.md says
where it stands). Raise these when the pipeline gets better — never by tuning against this half's
misses: write new items instead.

    python scripts/moderation_eval.py tests/moderation/heldout_dev.yaml --misses   # what to work on
    python scripts/moderation_eval.py tests/moderation/heldout_test.yaml           # figures only
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.moderation import evaluation as ev

HERE = Path(__file__).parent
DEV = ev.load_items(HERE / "heldout_dev.yaml")
TEST = ev.load_items(HERE / "heldout_test.yaml")

# Measured on the test half when tuning stopped: recall 97/109 = 89.0 % (en 41/48 = 85.4 %, zh 51/56 =
# 91.1 %), false flags 4/127 = 3.1 %. Before tuning: recall 82.6 %, false flags 3.9 %.
TEST_MIN_RECALL = 0.87
TEST_MIN_RECALL_EN = 0.83
TEST_MIN_RECALL_ZH = 0.88
TEST_MAX_FALSE_FLAG_RATE = 0.04
# The dev half was tuned against, so it is held to the targets.
DEV_MIN_RECALL = ev.MIN_RECALL
DEV_MAX_FALSE_FLAG_RATE = ev.MAX_FALSE_FLAG_RATE


@pytest.fixture(scope="module")
def test_report() -> ev.Report:
    from redbridge.moderation.text import default_checker

    # Figures only: printing this half's misses would invite tuning against them.
    rep = ev.evaluate(default_checker(), TEST)
    print("\n\nheld-out test split:", len(TEST), "items\n")
    print(ev.format_tables(rep, techniques=False))
    return rep


@pytest.fixture(scope="module")
def dev_report() -> ev.Report:
    from redbridge.moderation.text import default_checker

    return ev.evaluate(default_checker(), DEV)


def test_the_held_out_set_has_its_shape() -> None:
    # Together the halves are a set of the shape eval_set.yaml must have; each half is about half.
    assert ev.shape_problems([*DEV, *TEST]) == []
    for half in (DEV, TEST):
        assert len(half) >= 200
        assert {i.label for i in half} == {*ev.CATEGORIES, ev.BENIGN}


def test_the_halves_do_not_overlap_each_other_and_barely_eval_set() -> None:
    dev, test = {i.text for i in DEV}, {i.text for i in TEST}
    tuned = {i.text for i in ev.load_items()}
    assert dev & test == set()
    # Written without reading eval_set.yaml, yet 12 short phrases came out the same (你怎么还不去死,
    # k.y.s, 约\u200b炮...): the obvious way to write them. They stay (the set was committed before
    # it was measured); without them the test half's recall is 88.5 % instead of 89.0 %.
    assert len((dev | test) & tuned) <= 12


def test_the_traps_are_benign_items() -> None:
    benign = {i.text for i in [*DEV, *TEST] if not i.violating}
    traps = ["Penistone", "cocktail", "Assassin's Creed", "this ramen slaps", "killing it", "I'm dying 😂",
             "操作", "鸡尾酒", "打死也不说", "破防了", "u1s1", "泰裤辣", "yyds", "xswl"]  # fmt: skip
    assert [t for t in traps if not any(t in text for text in benign)] == []


def test_test_split_recall(test_report: ev.Report) -> None:
    assert test_report.overall.recall is not None
    assert test_report.overall.recall >= TEST_MIN_RECALL


@pytest.mark.parametrize(("lang", "floor"), [("en", TEST_MIN_RECALL_EN), ("zh", TEST_MIN_RECALL_ZH)])
def test_test_split_recall_per_language(test_report: ev.Report, lang: str, floor: float) -> None:
    recall = test_report.language(lang).recall
    assert recall is not None
    assert recall >= floor


def test_test_split_false_flags(test_report: ev.Report) -> None:
    assert test_report.overall.false_flag_rate is not None
    assert test_report.overall.false_flag_rate <= TEST_MAX_FALSE_FLAG_RATE


def test_dev_split_meets_the_targets(dev_report: ev.Report) -> None:
    assert dev_report.overall.recall is not None
    assert dev_report.overall.false_flag_rate is not None
    assert dev_report.overall.recall >= DEV_MIN_RECALL, ev.format_misses(dev_report)
    assert dev_report.overall.false_flag_rate <= DEV_MAX_FALSE_FLAG_RATE, ev.format_misses(dev_report)


# Ordinary words whose pinyin initials spell a listed abbreviation (found while tuning): the
# abbreviations are regexes over typed letters, so these stay allowed while the typed ones do not.
@pytest.mark.parametrize("text", ["上班8小时", "失败", "智能5G手机推荐", "他们的app很好用", "你们不5点走吗",
                                  "约拍！广州可约", "音频", "无限3D"])  # fmt: skip
def test_initials_of_ordinary_words_are_not_abbreviations(text: str) -> None:
    from redbridge.moderation.text import default_checker

    assert default_checker().check(text).decision == "allow"


@pytest.mark.parametrize("text", ["你是不是sb", "nmsl", "zn人", "yp吗", "加wx 12345", "楼主sbbbbbb"])
def test_typed_abbreviations_still_count(text: str) -> None:
    from redbridge.moderation.text import default_checker

    assert default_checker().check(text).decision != "allow"
