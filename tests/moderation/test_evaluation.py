"""The text pipeline against the labelled bilingual evaluation set (issue 8, "Evaluation and tests").

Quality, not speed: recall ≥ 0.90 on violating items, ≤ 2 % of benign items flagged (a ``label``
counts), and recall ≥ 0.85 in each language so that neither is neglected. A violating item is caught
when the decision is not ``allow``; whether the right category fired is reported, not asserted.

    python -m pytest -q -p no:cacheprovider tests/moderation/test_evaluation.py -s   # prints the tables

The set's own shape is asserted too (size, balance, every category in both languages, every evasion
technique), so that it cannot shrink silently. Metrics: tests/moderation/evaluation.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.moderation import evaluation as ev

ITEMS = ev.load_items()


@pytest.fixture(scope="module")
def report() -> ev.Report:
    # Imported here so that the set's shape is checked even before the pipeline exists.
    from redbridge.moderation.text import default_checker

    rep = ev.evaluate(default_checker(), ITEMS)
    print("\n\nmoderation evaluation:", len(ITEMS), "items\n")
    print(ev.format_tables(rep))
    print()
    print(ev.format_misses(rep))
    return rep


def test_the_set_has_its_shape() -> None:
    assert ev.shape_problems(ITEMS) == []


def test_the_traps_of_issue_8_are_benign_items() -> None:
    benign = {i.text for i in ITEMS if not i.violating}
    traps = ["Penistone", "Scunthorpe", "cocktail", "Assassin's Creed", "this ramen slaps", "this lipstick is killer",
             "I'm dying to try this", "操作", "鸡尾酒", "打死也不说", "笑死我了", "杀疯了", "破防了", "u1s1",
             "泰裤辣", "yyds", "xswl", "绝绝子", "集美", "种草", "拔草", "踩雷"]  # fmt: skip
    assert [t for t in traps if not any(t in text for text in benign)] == []


def test_recall_on_violating_items(report: ev.Report) -> None:
    assert report.overall.recall is not None
    assert report.overall.recall >= ev.MIN_RECALL, ev.format_misses(report)


def test_benign_false_flag_rate(report: ev.Report) -> None:
    assert report.overall.false_flag_rate is not None
    assert report.overall.false_flag_rate <= ev.MAX_FALSE_FLAG_RATE, ev.format_misses(report)


@pytest.mark.parametrize("lang", ev.LANGS)
def test_recall_per_language(report: ev.Report, lang: str) -> None:
    row = report.language(lang)
    assert row.violating > 0
    assert row.recall is not None
    assert row.recall >= ev.MIN_LANGUAGE_RECALL, ev.format_misses(report)


def test_the_report_is_json(report: ev.Report, tmp_path: Path) -> None:
    # The figures as the script's --json writes them (to tmp_path: tests never write into the repo).
    out = tmp_path / "moderation_eval.json"
    out.write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["overall"]["violating"] + data["overall"]["benign"] == len(ITEMS)
    assert {r["name"] for r in data["by_category"]} == set(ev.CATEGORIES)
