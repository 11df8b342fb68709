"""Rules: the shipped lists load, and the regex checker refuses what could backtrack."""

from __future__ import annotations

import contextlib
import time
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redbridge.moderation.rules import (
    CATEGORIES,
    MAX_PATTERN_LENGTH,
    Rule,
    RuleError,
    check_regex,
    load_defaults,
    load_global_allow,
    load_rules_yaml,
)

EVIL = ["(a+)+$", "(a|aa)*", "(.*a){20}", "([a-z]+)*$", "(a|a)*", "(a|aa)+b", "(aa?)+", "(x+x+)+y", "^(\\d+)*$",
        "(?:a|b|ab)*c", "(a*)*", "((ab)*)+", "(.*){1,32}", ".*.*.*.*=.*"]
ORDINARY = ["hello", "\\bkill\\s+you\\b", r"(?<!\d)1[3-9]\d(?:[\s.-]?\d{4}){2}(?!\d)", r"[\w.+-]{1,64}@[\w-]{1,63}\.[a-z]{2,10}",
            "(foo|bar)+baz", "(ab?)+", r"\d{3}-\d{2}-\d{4}", "加(?:vx|v|微信)", r"(\d{3}-)+x", "colou?r"]


@pytest.mark.parametrize("pattern", EVIL)
def test_catastrophic_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(RuleError) as info:
        check_regex(pattern)
    assert info.value.code in {"regex_backtracking", "regex_too_slow", "regex_matches_empty"}


@pytest.mark.parametrize("pattern", ORDINARY)
def test_ordinary_patterns_are_accepted(pattern: str) -> None:
    check_regex(pattern)


@pytest.mark.parametrize(("pattern", "code"), [
    ("a" * (MAX_PATTERN_LENGTH + 1), "regex_too_long"), ("(", "regex_invalid"), ("", "regex_invalid"),
    ("a**", "regex_invalid"), ("a*", "regex_matches_empty"), ("(a)\\1", "regex_unsupported"),
])
def test_error_codes(pattern: str, code: str) -> None:
    with pytest.raises(RuleError) as info:
        check_regex(pattern)
    assert info.value.code == code


_ATOMS = st.sampled_from(["a", "b", ".", "\\d", "\\w", "[a-z]", "[^x]", "x", "\\s", "(?:a|b)", "(a|aa)", "$", "^", "\\b"])
_QUANT = st.sampled_from(["", "", "*", "+", "?", "{2}", "{1,40}", "{0,}", "*?", "++"])


@st.composite
def hostile_patterns(draw: st.DrawFn) -> str:
    parts = [draw(_ATOMS) + draw(_QUANT) for _ in range(draw(st.integers(1, 4)))]
    body = "".join(parts)
    for _ in range(draw(st.integers(0, 3))):
        body = "(" + body + ")" + draw(_QUANT)
        if draw(st.booleans()):
            body += draw(_ATOMS)
    return body


@settings(max_examples=300, deadline=None)
@given(st.one_of(hostile_patterns(), st.text(max_size=60)))
def test_check_regex_never_hangs_and_only_raises_rule_error(pattern: str) -> None:
    started = time.perf_counter()
    with contextlib.suppress(RuleError):
        check_regex(pattern)
    assert time.perf_counter() - started < 2.0


def test_defaults_load_with_every_category() -> None:
    rules = load_defaults()
    assert len({r.id for r in rules}) == len(rules)
    counts = Counter((r.category, r.lang) for r in rules)
    for category in CATEGORIES:
        if category != "personal_data":
            assert counts[(category, "en")] >= 5, category
            assert counts[(category, "zh")] >= 5, category
    assert counts[("personal_data", "any")] >= 5
    assert all(r.kind == "regex" for r in rules if r.category == "personal_data")


def test_default_actions() -> None:
    actions = {r.category: set() for r in load_defaults()}
    for rule in load_defaults():
        actions[rule.category].add(rule.action)
    assert actions["slur"] == {"reject"}
    assert actions["threat"] == {"hold"}
    assert actions["self_harm"] == {"hold"}
    assert actions["spam"] == {"hold"}
    assert actions["personal_data"] == {"hold"}
    assert actions["harassment"] == {"hold", "label"}  # mild insults are labelled


def test_global_allow_has_the_issue_traps() -> None:
    allow = set(load_global_allow())
    assert {"操作", "鸡尾酒", "打死也不说", "笑死", "杀疯了", "绝绝子", "破防了", "u1s1", "yyds", "泰裤辣", "牛逼"} <= allow


def test_load_rules_yaml_entries() -> None:
    rules = load_rules_yaml(
        "category: spam\nlang: en\naction: hold\nterms:\n  - buy followers\n  - {pattern: cheap likes, action: label}\n"
        "regexes:\n  - {pattern: 'earn \\d+ a day', id: my-id}\n",
        source="custom.yaml",
    )
    assert [(r.id, r.kind, r.action) for r in rules] == [
        ("custom:buy followers", "term", "hold"), ("custom:cheap likes", "term", "label"), ("my-id", "regex", "hold")]


def test_rule_validation() -> None:
    with pytest.raises(RuleError):
        Rule("x", "nope", "en", "term", "a", "hold")  # type: ignore[arg-type]
    with pytest.raises(RuleError):
        Rule("x", "spam", "en", "regex", "(a+)+$", "hold")
    with pytest.raises(RuleError):
        Rule("x", "spam", "en", "term", " * ", "hold")


def test_requires_digit() -> None:
    from redbridge.moderation.rules import requires_digit

    assert requires_digit(r"1[3-9]\d{9}")
    assert requires_digit(r"\bbuilding\s\d{1,4}")
    assert not requires_digit(r"(?:a|\d)")
    assert not requires_digit(r"x?\d*")
    assert not requires_digit("hello")
