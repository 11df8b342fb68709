"""Moderation rules: what a rule is, which regexes are safe to run, and the shipped lists.

A rule is one term or one regex with a category, a language and an action. The shipped lists
are YAML files in ``redbridge/moderation/data/`` (written for Redbridge, CC0); each file states
its category, language and default action, and every entry is a term (or, in ``regexes``, a
pattern) that may override the action and carry its own allow-list. Term syntax:

* ``term`` — a whole word (or words) in Latin script: ``cock`` does not match ``cocktail``;
  a leading / trailing ``*`` lets the term start / end inside a longer word (``fuck*`` matches
  ``fucking``, ``*fucker`` matches ``motherfucker``). Chinese terms match anywhere.
* a ``zh`` rule written in Latin letters is a romanisation (pinyin ``cao ni ma``, initials
  ``cnm``): it matches typed Latin words, the pinyin of Chinese text and its initials.

Regexes are user input too (administrators edit rules without a restart), so every pattern
passes :func:`check_regex` before it is compiled into a lexicon.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, get_args

import yaml  # type: ignore[import-untyped,unused-ignore]  # no stubs installed here

if TYPE_CHECKING:  # the typeshed names of the modules re uses at run time (re._parser, re._constants)
    import sre_constants as _constants
    import sre_parse as _parser
else:
    from re import _constants, _parser

__all__ = [
    "ACTIONS",
    "CATEGORIES",
    "LANGS",
    "MAX_PATTERN_LENGTH",
    "Action",
    "Category",
    "Kind",
    "Lang",
    "Rule",
    "RuleError",
    "check_regex",
    "load_context_allow",
    "load_defaults",
    "load_global_allow",
    "load_profanity",
    "load_rules_yaml",
    "requires_digit",
    "shipped_by_id",
]

Category = Literal["harassment", "slur", "threat", "self_harm", "sexual", "spam", "personal_data"]
Action = Literal["label", "hold", "reject"]
Lang = Literal["en", "zh", "any"]
Kind = Literal["term", "regex"]
CATEGORIES: tuple[Category, ...] = get_args(Category)
ACTIONS: tuple[Action, ...] = get_args(Action)
LANGS: tuple[Lang, ...] = get_args(Lang)

MAX_PATTERN_LENGTH = 512
MAX_REPEAT_BOUND = 64  # a counted repeat above this is treated like an unbounded one
TRIAL_BUDGET_S = 0.2


class RuleError(ValueError):
    """A rule that cannot be accepted; ``code`` is a translatable reason code."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    category: Category
    lang: Lang
    kind: Kind
    pattern: str
    action: Action
    enabled: bool = True
    # Allow-list phrases: a hit of this rule that lies inside one of them does not count.
    allow: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise RuleError("rule_bad_category", self.category)
        if self.action not in ACTIONS:
            raise RuleError("rule_bad_action", self.action)
        if self.lang not in LANGS:
            raise RuleError("rule_bad_lang", self.lang)
        if self.kind not in ("term", "regex"):
            raise RuleError("rule_bad_kind", self.kind)
        if not self.pattern.strip("* "):
            raise RuleError("rule_empty_pattern", self.id)
        if self.kind == "regex":
            check_regex(self.pattern)


# --- regex safety -----------------------------------------------------------------------------
#
# Python's re backtracks. A pattern is refused when its structure can backtrack exponentially
# (or with a high polynomial degree) — checked on the parse tree re itself builds — and, as a
# second line, when a timed trial against inputs built from the pattern's own characters grows
# too slow. The structural check is the one that matters: the trial only sees small inputs.

_ALL = frozenset({-1})  # "any character": intersects everything
_PROBE = [*range(0x20, 0x7F), 0xA0, 0xE9, 0x3000, 0x4E2D, 0x6B7B, 0x1F600, 0x0A]


@dataclass(frozen=True, slots=True)
class _Info:
    first: frozenset[int]  # characters the node can start with (approximate; _ALL = anything)
    nullable: bool  # can match the empty string
    unbounded: bool  # contains a repeat whose maximum is unbounded (or very large)


def _class_first(items: Any, negated: bool = False) -> frozenset[int]:
    codes: set[int] = set()
    for op, av in items:
        if op is _constants.NEGATE:
            negated = True
        elif op is _constants.LITERAL:
            codes.add(av)
        elif op is _constants.RANGE:
            low, high = av
            if high - low > 256:
                return _ALL
            codes.update(range(low, high + 1))
        else:  # CATEGORY (\d \w \s), or anything unusual: assume it can overlap anything
            return _ALL
    if negated:
        return _ALL
    return frozenset(codes)


def _overlap(a: frozenset[int], b: frozenset[int]) -> bool:
    if not a or not b:
        return False
    return a is _ALL or b is _ALL or -1 in a or -1 in b or bool(a & b)


def _seq(items: Any, depth: int) -> _Info:
    first: set[int] = set()
    nullable = True
    unbounded = False
    for item in items:
        info = _node(item, depth)
        if nullable:
            first |= info.first
        nullable = nullable and info.nullable
        unbounded = unbounded or info.unbounded
    return _Info(frozenset(first), nullable, unbounded)


def _node(item: Any, depth: int) -> _Info:
    if depth > 100:
        raise RuleError("regex_too_complex", "nesting too deep")
    op, av = item
    c = _constants
    if op is c.LITERAL:
        return _Info(frozenset({av}), False, False)
    if op is c.NOT_LITERAL or op is c.ANY:
        return _Info(_ALL, False, False)
    if op is c.IN:
        return _Info(_class_first(av), False, False)
    if op is c.AT:
        return _Info(frozenset(), True, False)
    if op is c.SUBPATTERN:
        return _seq(av[-1], depth + 1)
    if op in (c.ASSERT, c.ASSERT_NOT):
        inner = _seq(av[1], depth + 1)
        return _Info(frozenset(), True, inner.unbounded)
    if op is c.ATOMIC_GROUP:
        inner = _seq(av, depth + 1)
        return _Info(inner.first, inner.nullable, False)  # no backtracking into an atomic group
    if op is c.BRANCH:
        branches = [_seq(b, depth + 1) for b in av[1]]
        first: set[int] = set()
        for info in branches:
            first |= info.first
        return _Info(frozenset(first), any(b.nullable for b in branches), any(b.unbounded for b in branches))
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        low, high, body = av
        inner = _seq(body, depth + 1)
        big = high is c.MAXREPEAT or high > MAX_REPEAT_BOUND
        if op is not c.POSSESSIVE_REPEAT and high != 1 and high != 0:
            if inner.unbounded:
                raise RuleError("regex_backtracking", "a repeated group contains an unbounded repeat")
            if big and inner.nullable:
                raise RuleError("regex_backtracking", "an unbounded repeat of something that can be empty")
            if big:
                _check_branches_under_repeat(body, depth)
                if _overlap(_optional_tail(body, depth), inner.first):
                    # "(aa?)+", "(a|aa)+": an optional end that can also start the next round.
                    raise RuleError("regex_backtracking", "a repeat whose optional end overlaps its start")
        return _Info(inner.first, low == 0 or inner.nullable, (big or inner.unbounded) and op is not c.POSSESSIVE_REPEAT)
    if op in (c.GROUPREF, c.GROUPREF_EXISTS):
        raise RuleError("regex_unsupported", "backreferences are not allowed in rules")
    if op is c.CATEGORY:
        return _Info(_ALL, False, False)
    raise RuleError("regex_unsupported", f"construct {op}")


def _check_branches_under_repeat(body: Any, depth: int) -> None:
    """``(a|aa)*``, ``(a|a)*``, ``(\\w|\\d)+``: alternatives that can start alike, repeated."""
    for op, av in body:
        if op is _constants.SUBPATTERN:
            _check_branches_under_repeat(av[-1], depth + 1)
        elif op is _constants.BRANCH:
            infos = [_seq(b, depth + 1) for b in av[1]]
            for i, a in enumerate(infos):
                for b in infos[i + 1:]:
                    # Two ways to start alike, or two ways to match nothing ("(a|a)" is parsed
                    # as "a(?:|)"): each repetition doubles the paths to try.
                    if _overlap(a.first, b.first) or (a.nullable and b.nullable):
                        raise RuleError("regex_backtracking", "overlapping alternatives under a repeat")


def _optional_tail(items: Any, depth: int) -> frozenset[int]:
    """What the optional elements at the end of a sequence can start with."""
    result: set[int] = set()
    for item in reversed(list(items)):
        op, av = item
        if op is _constants.SUBPATTERN:
            result |= _optional_tail(av[-1], depth + 1)
        elif op is _constants.BRANCH:
            for branch in av[1]:
                result |= _optional_tail(branch, depth + 1)
        info = _node(item, depth + 1)
        if not info.nullable:
            break
        result |= info.first
    return frozenset(result)


def _trial_inputs(pattern: str) -> Iterator[str]:
    alphabet = sorted({ch for ch in pattern if ch.isalnum() or ch in " .-_@"} | {"a", "1", " "})[:8]
    yield from alphabet
    for i, a in enumerate(alphabet):
        for b in alphabet[i + 1:i + 3]:
            yield a + b


def _timed_trial(compiled: re.Pattern[str], pattern: str) -> None:
    started = time.perf_counter()
    for unit in _trial_inputs(pattern):
        previous = 0.0
        for size in (8, 16, 32, 64, 128):
            text = unit * size + "\x00!"
            spent = float("inf")
            for _ in range(2):  # the better of two runs: one GC pause is not backtracking
                t0 = time.perf_counter()
                compiled.search(text)
                spent = min(spent, time.perf_counter() - t0)
            total = time.perf_counter() - started
            # Doubling the input and paying more than ten times as much is worse than cubic:
            # backtracking. Stop there, before the next size gets expensive.
            if total > TRIAL_BUDGET_S or (spent > 1e-4 and spent > 10 * previous):
                raise RuleError("regex_too_slow", "the pattern backtracks on repetitive input")
            previous = spent


def _requires_digit(items: Any) -> bool:
    c = _constants
    for op, av in items:
        if op is c.LITERAL and chr(av).isdigit():
            return True
        if op is c.IN and av and all(
            (o is c.LITERAL and chr(a).isdigit()) or (o is c.CATEGORY and a is c.CATEGORY_DIGIT)
            or (o is c.RANGE and all(chr(x).isdigit() for x in a)) for o, a in av):
            return True
        if op is c.SUBPATTERN and _requires_digit(av[-1]):
            return True
        if op is c.BRANCH and all(_requires_digit(b) for b in av[1]):
            return True
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1 and _requires_digit(av[2]):
            return True
    return False


def requires_digit(pattern: str) -> bool:
    """Whether every match of ``pattern`` contains a digit (the lexicon skips it on text without one)."""
    try:
        return _requires_digit(_parser.parse(pattern, 0))
    except (re.error, RecursionError):
        return False


@functools.lru_cache(maxsize=4096)
def check_regex(pattern: str) -> None:
    """Raise :class:`RuleError` unless ``pattern`` is small, compiles and cannot backtrack badly.

    Cached: a pattern that passed is checked (and its trial timed) once per process, so a rebuild
    re-creating its rules neither pays the trial again nor can fail, on a busy machine, a rule it
    passed when it was written. A refusal raises and is not cached: it is checked again.

    Codes: ``regex_too_long``, ``regex_invalid``, ``regex_matches_empty``, ``regex_too_complex``,
    ``regex_unsupported`` (backreferences), ``regex_backtracking`` (nested unbounded repeats,
    ``(a+)+``, ``(.*a){20}``; overlapping alternatives or empty-matching bodies under an
    unbounded repeat, ``(a|aa)*``), ``regex_too_slow`` (the timed trial).
    """
    if not isinstance(pattern, str) or not pattern:
        raise RuleError("regex_invalid", "empty pattern")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise RuleError("regex_too_long", f"at most {MAX_PATTERN_LENGTH} characters")
    try:
        tree = _parser.parse(pattern, 0)
        compiled = re.compile(pattern)
    except (re.error, OverflowError, RecursionError, ValueError, TypeError) as exc:
        raise RuleError("regex_invalid", str(exc)) from None
    try:
        info = _seq(tree, 0)
    except RecursionError:
        raise RuleError("regex_too_complex", "nesting too deep") from None
    if info.nullable or compiled.fullmatch("") is not None:
        raise RuleError("regex_matches_empty", "a rule must not match empty text")
    _timed_trial(compiled, pattern)


# --- shipped lists ----------------------------------------------------------------------------

_DATA = "data"
_GLOBAL_ALLOW_FILE = "allow.yaml"
_NOT_RULES = frozenset({_GLOBAL_ALLOW_FILE, "profanity.yaml"})


def load_rules_yaml(text: str, *, source: str) -> list[Rule]:
    """The rules of one list file (see the file headers in ``data/`` for the format)."""
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict):
        raise RuleError("rules_bad_file", source)
    category: Any = doc.get("category")
    lang: Any = doc.get("lang")
    action: Any = doc.get("action")
    stem = source.rsplit("/", 1)[-1].removesuffix(".yaml")
    rules: list[Rule] = []
    for kind, key in (("term", "terms"), ("regex", "regexes")):
        for entry in doc.get(key) or ():
            if isinstance(entry, str):
                entry = {"pattern": entry}
            if not isinstance(entry, dict) or not isinstance(entry.get("pattern"), str):
                raise RuleError("rules_bad_entry", f"{source}: {entry!r}")
            pattern = entry["pattern"]
            rules.append(Rule(
                id=str(entry.get("id") or f"{stem}:{pattern}"),
                category=entry.get("category", category),  # validated by Rule.__post_init__
                lang=entry.get("lang", lang),
                kind=kind,  # type: ignore[arg-type]
                pattern=pattern,
                action=entry.get("action", action),
                enabled=bool(entry.get("enabled", True)),
                allow=tuple(entry.get("allow") or ()),
            ))
    return rules


def _data_files() -> Iterator[tuple[str, str]]:
    for item in sorted(resources.files(__package__).joinpath(_DATA).iterdir(), key=lambda p: p.name):
        if item.name.endswith(".yaml") and item.name not in _NOT_RULES:
            yield item.name, item.read_text("utf-8")


@functools.cache
def _defaults() -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for name, text in _data_files():
        rules.extend(load_rules_yaml(text, source=name))
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        raise RuleError("rules_duplicate_id", ", ".join(duplicates[:5]))
    return tuple(rules)


def load_defaults() -> list[Rule]:
    """The shipped rules (package data), every regex already checked."""
    return list(_defaults())


@functools.cache
def _by_id() -> dict[str, Rule]:
    return {r.id: r for r in _defaults()}


def shipped_by_id() -> Mapping[str, Rule]:
    """The shipped rules by id (one map per process; read-only)."""
    return MappingProxyType(_by_id())


@functools.cache
def _data_yaml(name: str) -> dict[str, Any]:
    doc = yaml.safe_load(resources.files(__package__).joinpath(_DATA, name).read_text("utf-8"))
    assert isinstance(doc, dict)
    return doc


def load_global_allow() -> tuple[str, ...]:
    """Benign phrases that cancel any term hit lying inside them (``操作``, ``鸡尾酒``, ``kill it``)."""
    return tuple(str(p) for p in _data_yaml(_GLOBAL_ALLOW_FILE).get("phrases") or ())


def load_context_allow() -> dict[Category, tuple[str, ...]]:
    """Per category, phrases whose presence anywhere in a text drops that category's term hits."""
    context = _data_yaml(_GLOBAL_ALLOW_FILE).get("context") or {}
    return {cat: tuple(str(p) for p in phrases) for cat, phrases in context.items() if cat in CATEGORIES}


def load_profanity() -> tuple[str, ...]:
    """Intensifier profanity, removed from the English classifier's input (``data/profanity.yaml``)."""
    return tuple(str(w) for w in _data_yaml("profanity.yaml").get("words") or ())
