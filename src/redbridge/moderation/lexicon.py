"""The lexicon: every enabled rule compiled for matching against a :class:`Normalized` text.

Terms are put through :func:`normalize` themselves, so a term and a text meet in the same form
whatever evasion either was written in. Aho-Corasick automata (pyahocorasick) find every
occurrence of every term in one pass per form:

* ``main`` — each term's ``folded`` and ``compact`` forms (and, for a term of several Latin
  words, the same without spaces: ``kill yourself`` → ``killyourself``), run over the text's
  ``folded`` and ``compact`` forms;
* ``squeezed`` — Latin terms with every repeated letter cut to one (``asshole`` → ``ashole``;
  only when that leaves four letters or more), run over the squeezed ``compact`` text: the
  ``fuuuuck`` → ``fuuck`` → ``fuck`` path (reported as field ``compact``);
* ``pinyin`` — romanised Chinese rules (``zh`` rules written in Latin letters: ``cao ni ma``,
  ``cnm``) and the pinyin of every Chinese term of three characters or more, run over the
  text's ``pinyin`` and ``initials`` forms. Shorter Chinese terms are not matched by sound:
  two syllables (``qu si``) are too often someone's ordinary words.

Word boundaries: at each end of a term that is a Latin letter or digit, the neighbouring text
character must not be one (a CJK character counts as a boundary: ``你是个bitch``); a ``*`` at
that end of the term lifts the requirement (a stem). Chinese term ends need no boundary.

Allow-lists: a hit is dropped when it lies inside an occurrence (in the same form) of one of its
rule's ``allow`` phrases or of a global benign phrase (``data/allow.yaml``: ``操作``,
``打死也不说``, ``去死皮``, ``kill it``...).

Regex rules run over ``folded`` (digits intact) and ``compact``. A named group whose name is a
key of :data:`VALIDATORS` must also pass that check (``(?P<cn_id>...)``: the checksum of an
18-digit Chinese ID number), so a random 18-digit order number is not personal data.

A lexicon is immutable: when rules change, build a new one and swap it in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import ahocorasick  # type: ignore[import-not-found,unused-ignore]  # a C extension without stubs

from redbridge.moderation.normalize import (
    Normalized,
    chains,
    has_cjk,
    normalize,
    pinyin_of,
    repeat_variants,
    squeeze,
)
from redbridge.moderation.rules import Action, Category, Rule, load_global_allow, requires_digit

__all__ = ["VALIDATORS", "Hit", "Lexicon", "fuzzy_pinyin", "valid_cn_id"]

FIELDS = ("folded", "compact", "pinyin", "initials")
_MIN_SQUEEZED = 4
_MIN_PINYIN_CHARS = 3


@dataclass(frozen=True, slots=True)
class Hit:
    rule_id: str
    category: Category
    action: Action
    matched: str
    field: str  # folded / compact / pinyin / initials


def valid_cn_id(number: str) -> bool:
    """GB 11643 checksum of an 18-character resident ID number (last character 0-9 or X)."""
    number = number.upper()
    if len(number) != 18 or not number[:17].isdigit():
        return False
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(number[:17], weights, strict=True))
    return "10X98765432"[total % 11] == number[17]


VALIDATORS: dict[str, Callable[[str], bool]] = {"cn_id": valid_cn_id}


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() and not has_cjk(ch)


@dataclass(frozen=True, slots=True)
class _Entry:
    rule: int  # index into Lexicon._rules
    open_start: bool  # the term may start inside a word ("*fucker")
    open_end: bool  # the term may end inside a word ("fuck*")
    bound_start: bool  # the term starts with a Latin letter/digit: needs a boundary there
    bound_end: bool


@dataclass(frozen=True, slots=True)
class _Regex:
    rule: int
    pattern: re.Pattern[str]
    validators: tuple[tuple[str, Callable[[str], bool]], ...]
    needs_digit: bool  # every match contains a digit: skipped on text without one


def _automaton(keys: dict[str, list[_Entry]]) -> ahocorasick.Automaton | None:
    if not keys:
        return None
    automaton = ahocorasick.Automaton()
    for key, entries in keys.items():
        automaton.add_word(key, (len(key), tuple(entries)))
    automaton.make_automaton()
    return automaton


def _allow_automaton(phrases: dict[str, set[int]]) -> ahocorasick.Automaton | None:
    if not phrases:
        return None
    automaton = ahocorasick.Automaton()
    for key, owners in phrases.items():
        automaton.add_word(key, (len(key), frozenset(owners)))
    automaton.make_automaton()
    return automaton


_GLOBAL = -1
_LATIN = re.compile("[a-z]")
_FUZZY_INITIAL = re.compile(r"\b([zcs])h")
_FUZZY_FINAL = re.compile(r"(?<=[aeiou])ng\b")


def fuzzy_pinyin(text: str) -> str:
    """Merge the sounds many speakers (and evaders) do not tell apart: zh/ch/sh → z/c/s, -ng → -n.

    ``弄屎你`` (nong shi ni) then meets ``弄死你`` (nong si ni), ``吱那`` meets ``支那``.
    """
    return _FUZZY_FINAL.sub("n", _FUZZY_INITIAL.sub(r"\1", text))


class Lexicon:
    def __init__(
        self,
        rules: list[Rule],
        main: ahocorasick.Automaton | None,
        squeezed: ahocorasick.Automaton | None,
        pinyin: ahocorasick.Automaton | None,
        allow: ahocorasick.Automaton | None,
        regexes: list[_Regex],
    ) -> None:
        self._rules = rules
        self._main = main
        self._squeezed = squeezed
        self._pinyin = pinyin
        self._allow = allow
        self._regexes = regexes

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(self._rules)

    @classmethod
    def build(cls, rules: Iterable[Rule], *, global_allow: Iterable[str] | None = None) -> Lexicon:
        """Compile the enabled rules; ``global_allow`` defaults to the shipped benign phrases."""
        kept = [r for r in rules if r.enabled]
        main: dict[str, list[_Entry]] = {}
        squeezed: dict[str, list[_Entry]] = {}
        pinyin: dict[str, list[_Entry]] = {}
        allow: dict[str, set[int]] = {}
        regexes: list[_Regex] = []

        def add(table: dict[str, list[_Entry]], key: str, index: int, open_start: bool, open_end: bool) -> None:
            key = key.strip()
            if not key:
                return
            entry = _Entry(index, open_start, open_end, _is_word_char(key[0]), _is_word_char(key[-1]))
            bucket = table.setdefault(key, [])
            if entry not in bucket:
                bucket.append(entry)

        def add_allow(phrase: str, owner: int) -> None:
            n = normalize(phrase)
            for key in {n.folded, n.compact, fuzzy_pinyin(n.pinyin), squeeze(n.compact), *repeat_variants(n.compact)}:
                if key.strip():
                    allow.setdefault(key.strip(), set()).add(owner)

        for index, rule in enumerate(kept):
            for phrase in rule.allow:
                add_allow(phrase, index)
            if rule.kind == "regex":  # checked when the Rule was made (Rule.__post_init__)
                compiled = re.compile(rule.pattern)
                validators = tuple((name, VALIDATORS[name]) for name in compiled.groupindex if name in VALIDATORS)
                regexes.append(_Regex(index, compiled, validators, requires_digit(rule.pattern)))
                continue
            open_start, open_end = rule.pattern.startswith("*"), rule.pattern.endswith("*")
            n = normalize(rule.pattern.strip("*").strip())
            latin = not has_cjk(n.compact)
            for key in {n.folded, n.compact}:
                add(main, key, index, open_start, open_end)
                if latin and " " in key:
                    add(main, key.replace(" ", ""), index, open_start, open_end)
            if latin and len(squeeze(n.compact)) >= _MIN_SQUEEZED:
                add(squeezed, squeeze(n.compact), index, open_start, open_end)
            if latin and rule.lang == "zh":  # a romanisation: also meets the pinyin of Chinese text
                add(pinyin, fuzzy_pinyin(n.folded), index, open_start, open_end)
                add(pinyin, fuzzy_pinyin(n.folded.replace(" ", "")), index, open_start, open_end)
            elif not latin and sum(map(has_cjk, n.compact)) >= _MIN_PINYIN_CHARS:
                add(pinyin, fuzzy_pinyin(pinyin_of(n.compact)), index, False, False)
        for phrase in load_global_allow() if global_allow is None else global_allow:
            add_allow(phrase, _GLOBAL)
        return cls(kept, _automaton(main), _automaton(squeezed), _automaton(pinyin), _allow_automaton(allow), regexes)

    # --- matching -----------------------------------------------------------------------------

    def match(self, text: Normalized) -> list[Hit]:
        """One hit per rule that matched (its first occurrence; folded before compact before pinyin)."""
        found: dict[int, Hit] = {}
        if self._main is not None:
            for form in (text.folded, text.compact):
                self._scan(self._main, form, "folded" if form is text.folded else "compact", found)
            for form in repeat_variants(text.compact):
                self._scan(self._main, form, "compact", found)
            for chain in chains(text.folded):
                self._scan(self._main, chain, "compact", found, bounded=False)
        if self._squeezed is not None:
            squeezed = squeeze(text.compact)
            if squeezed != text.compact:
                self._scan(self._squeezed, squeezed, "compact", found)
        if self._pinyin is not None:
            if text.pinyin:
                self._scan(self._pinyin, fuzzy_pinyin(text.pinyin), "pinyin", found)
                self._scan(self._pinyin, text.initials, "initials", found)
            elif _LATIN.search(text.compact):  # pinyin typed as Latin words: "wo yao nong si ni"
                self._scan(self._pinyin, fuzzy_pinyin(text.compact), "folded", found)
        if self._regexes:
            forms = [("folded", text.folded)]
            if text.compact != text.folded:
                forms.append(("compact", text.compact))
            has_digit = any(ch.isdigit() for ch in text.compact)
            for regex in self._regexes:
                if regex.rule in found or (regex.needs_digit and not has_digit):
                    continue
                for field, form in forms:
                    hit = self._regex_hit(regex, form, field)
                    if hit is not None:
                        found[regex.rule] = hit
                        break
        return [found[i] for i in sorted(found)]

    def _scan(
        self, automaton: ahocorasick.Automaton, form: str, field: str, found: dict[int, Hit], *, bounded: bool = True
    ) -> None:
        if not form:
            return
        allow_spans: list[tuple[int, int, frozenset[int]]] | None = None
        size = len(form)
        for end, (length, entries) in automaton.iter(form):
            start = end - length + 1
            for entry in entries:
                if entry.rule in found:
                    continue
                if bounded:
                    if entry.bound_start and not entry.open_start and start > 0 and _is_word_char(form[start - 1]):
                        continue
                    if entry.bound_end and not entry.open_end and end + 1 < size and _is_word_char(form[end + 1]):
                        continue
                if allow_spans is None:
                    allow_spans = self._allow_spans(form)
                if any(a <= start and end < b and (_GLOBAL in owners or entry.rule in owners)
                       for a, b, owners in allow_spans):
                    continue
                rule = self._rules[entry.rule]
                found[entry.rule] = Hit(rule.id, rule.category, rule.action, form[start:end + 1], field)

    def _allow_spans(self, form: str) -> list[tuple[int, int, frozenset[int]]]:
        if self._allow is None:
            return []
        return [(end - length + 1, end + 1, owners) for end, (length, owners) in self._allow.iter(form)]

    def _regex_hit(self, regex: _Regex, form: str, field: str) -> Hit | None:
        for match in regex.pattern.finditer(form):
            if all(match.group(name) is None or check(match.group(name)) for name, check in regex.validators):
                rule = self._rules[regex.rule]
                return Hit(rule.id, rule.category, rule.action, match.group(), field)
        return None
