"""The moderation evaluation set (``eval_set.yaml``) and its metrics.

Shared by ``tests/moderation/test_evaluation.py`` (which asserts the targets) and
``scripts/moderation_eval.py`` (which prints the table for docs/benchmarks.md), so both report the
same figures. The checker is anything with ``check_many(texts) -> list[Verdict]``, a verdict having
``decision`` (allow / label / hold / reject) and ``reasons`` (the categories that fired).

Definitions:

- an item is *flagged* when the decision is not ``allow`` (a ``label`` counts, for benign items too);
- **recall**: violating items flagged / violating items;
- **right category**: violating items whose label is among the verdict's reasons / violating items
  (reported, not asserted: a threat held as harassment is still held);
- **false-flag rate**: benign items flagged / benign items;
- **precision** of a language (or overall): violating items flagged / items flagged. Of a category *c*:
  flagged items with *c* among their reasons that are labelled *c* / flagged items with *c* among their
  reasons; a category's false flags are the benign items flagged *with c among the reasons*, over all
  benign items, so the per-category false-flag rates add up to at least the overall one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

SET_PATH = Path(__file__).with_name("eval_set.yaml")

BENIGN = "benign"
CATEGORIES = ("harassment", "slur", "threat", "self_harm", "sexual", "spam", "personal_data")
LANGS = ("en", "zh", "mixed")
TECHNIQUES = (
    "plain", "fullwidth", "spaced", "punctuation", "leet", "homoglyph", "repeat", "zero_width",
    "traditional", "pinyin", "initials", "homophone", "emoji_split", "char_split", "mixed_lang",
)  # fmt: skip
DECISIONS = ("allow", "label", "hold", "reject")

# The targets of issue 8 ("Evaluation and tests").
MIN_RECALL = 0.90
MAX_FALSE_FLAG_RATE = 0.02
MIN_LANGUAGE_RECALL = 0.85
# The set's own shape, so that it cannot shrink silently.
MIN_ITEMS = 300
MIN_PER_TECHNIQUE = 5  # violating items written with each evasion technique
MIN_PER_CATEGORY_LANGUAGE = 5  # violating items per category in English, and in Chinese


@dataclass(frozen=True)
class Item:
    text: str
    lang: str
    label: str
    technique: str
    note: str = ""

    @property
    def violating(self) -> bool:
        return self.label != BENIGN


def load_items(path: Path = SET_PATH) -> list[Item]:
    """The items of the set, each checked for known keys and values (ValueError otherwise)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = []
    for n, raw in enumerate(data["items"], 1):
        unknown = set(raw) - {"text", "lang", "label", "technique", "note"}
        item = Item(**{k: v for k, v in raw.items() if k not in unknown})
        problems = [f"unknown keys {sorted(unknown)}"] if unknown else []
        if not isinstance(item.text, str) or not item.text.strip():
            problems.append("empty text")
        if item.lang not in LANGS:
            problems.append(f"lang {item.lang!r}")
        if item.label not in (*CATEGORIES, BENIGN):
            problems.append(f"label {item.label!r}")
        if item.technique not in TECHNIQUES:
            problems.append(f"technique {item.technique!r}")
        if problems:
            raise ValueError(f"{path.name} item {n} ({raw.get('text')!r}): {', '.join(problems)}")
        items.append(item)
    return items


def shape_problems(items: Sequence[Item]) -> list[str]:
    """What keeps the set from being the one issue 8 asks for (empty when it is)."""
    problems = []
    violating = [i for i in items if i.violating]
    benign = len(items) - len(violating)
    if len(items) < MIN_ITEMS:
        problems.append(f"{len(items)} items, fewer than {MIN_ITEMS}")
    if benign < len(violating):
        problems.append(f"{benign} benign items, fewer than the {len(violating)} violating ones")
    duplicates = [t for t, n in Counter(i.text for i in items).items() if n > 1]
    if duplicates:
        problems.append(f"duplicate texts: {duplicates}")
    per_cell = Counter((i.label, i.lang) for i in violating)
    for category in CATEGORIES:
        for lang in ("en", "zh"):
            if per_cell[category, lang] < MIN_PER_CATEGORY_LANGUAGE:
                problems.append(f"{category}/{lang}: {per_cell[category, lang]} items")
        techniques = {i.technique for i in violating if i.label == category}
        if "plain" not in techniques or len(techniques) < 2:
            problems.append(f"{category}: needs plain and evasion variants, has {sorted(techniques)}")
    per_technique = Counter(i.technique for i in violating)
    for technique in TECHNIQUES:
        if per_technique[technique] < MIN_PER_TECHNIQUE:
            problems.append(f"technique {technique}: {per_technique[technique]} violating items")
    return problems


class Checker(Protocol):
    def check_many(self, texts: list[str], /) -> Sequence[Any]: ...


@dataclass(frozen=True)
class Outcome:
    item: Item
    decision: str
    reasons: tuple[str, ...]

    @property
    def flagged(self) -> bool:
        return self.decision != "allow"

    @property
    def right_category(self) -> bool:
        return self.item.label in self.reasons


def _category(reason: Any) -> str:
    # Reasons are category strings; tolerate str enums and objects with a ``category``.
    value = getattr(reason, "category", reason)
    return str(getattr(value, "value", value))


def run(checker: Checker, items: Sequence[Item]) -> list[Outcome]:
    verdicts = checker.check_many([i.text for i in items])
    if len(verdicts) != len(items):
        raise AssertionError(f"check_many answered {len(verdicts)} verdicts for {len(items)} texts")
    outcomes = []
    for item, verdict in zip(items, verdicts, strict=True):
        decision = str(getattr(verdict.decision, "value", verdict.decision))
        if decision not in DECISIONS:
            raise AssertionError(f"unknown decision {decision!r} for {item.text!r}")
        outcomes.append(Outcome(item, decision, tuple(_category(r) for r in verdict.reasons)))
    return outcomes


@dataclass(frozen=True)
class Row:
    name: str
    violating: int
    caught: int
    right_category: int
    benign: int
    false_flags: int
    flagged: int  # items counted for precision
    flagged_correct: int

    @property
    def recall(self) -> float | None:
        return self.caught / self.violating if self.violating else None

    @property
    def right_category_rate(self) -> float | None:
        return self.right_category / self.violating if self.violating else None

    @property
    def false_flag_rate(self) -> float | None:
        return self.false_flags / self.benign if self.benign else None

    @property
    def precision(self) -> float | None:
        return self.flagged_correct / self.flagged if self.flagged else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "violating": self.violating, "caught": self.caught,
            "recall": self.recall, "right_category": self.right_category_rate, "benign": self.benign,
            "false_flags": self.false_flags, "false_flag_rate": self.false_flag_rate,
            "precision": self.precision,
        }  # fmt: skip


def group_row(name: str, outcomes: Iterable[Outcome]) -> Row:
    """A language, a technique or the whole set: precision over everything flagged in the group."""
    outcomes = list(outcomes)
    bad = [o for o in outcomes if o.item.violating]
    good = [o for o in outcomes if not o.item.violating]
    caught = sum(o.flagged for o in bad)
    false_flags = sum(o.flagged for o in good)
    return Row(
        name, len(bad), caught, sum(o.right_category for o in bad), len(good), false_flags,
        caught + false_flags, caught,
    )  # fmt: skip


def category_row(category: str, outcomes: Sequence[Outcome]) -> Row:
    """One category: recall over its items, precision and false flags over verdicts naming it."""
    mine = [o for o in outcomes if o.item.label == category]
    named = [o for o in outcomes if o.flagged and category in o.reasons]
    benign = [o for o in outcomes if not o.item.violating]
    return Row(
        category, len(mine), sum(o.flagged for o in mine), sum(o.right_category for o in mine),
        len(benign), sum(category in o.reasons for o in benign if o.flagged), len(named),
        sum(o.item.label == category for o in named),
    )  # fmt: skip


@dataclass(frozen=True)
class Report:
    outcomes: list[Outcome]
    overall: Row
    by_language: list[Row]
    by_category: list[Row]
    by_technique: list[Row]

    @property
    def false_negatives(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.item.violating and not o.flagged]

    @property
    def false_positives(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.item.violating and o.flagged]

    @property
    def wrong_category(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.item.violating and o.flagged and not o.right_category]

    def language(self, lang: str) -> Row:
        return next(r for r in self.by_language if r.name == lang)

    def failures(self) -> list[str]:
        """The targets this run misses (empty when it meets them all)."""
        failures = []
        if (self.overall.recall or 0) < MIN_RECALL:
            failures.append(f"overall recall {self.overall.recall:.3f} < {MIN_RECALL}")
        if (self.overall.false_flag_rate or 0) > MAX_FALSE_FLAG_RATE:
            failures.append(
                f"benign false-flag rate {self.overall.false_flag_rate:.3f} > {MAX_FALSE_FLAG_RATE}"
            )
        for row in self.by_language:
            if row.violating and (row.recall or 0) < MIN_LANGUAGE_RECALL:
                failures.append(f"{row.name} recall {row.recall:.3f} < {MIN_LANGUAGE_RECALL}")
        return failures

    def as_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.as_dict(),
            "by_language": [r.as_dict() for r in self.by_language],
            "by_category": [r.as_dict() for r in self.by_category],
            "by_technique": [r.as_dict() for r in self.by_technique],
            "false_negatives": [_miss(o) for o in self.false_negatives],
            "false_positives": [_miss(o) for o in self.false_positives],
        }


def _miss(o: Outcome) -> dict[str, Any]:
    return {"text": o.item.text, "lang": o.item.lang, "label": o.item.label,
            "technique": o.item.technique, "decision": o.decision, "reasons": list(o.reasons)}  # fmt: skip


def report(outcomes: Sequence[Outcome]) -> Report:
    outcomes = list(outcomes)
    return Report(
        outcomes,
        group_row("overall", outcomes),
        [group_row(lang, (o for o in outcomes if o.item.lang == lang)) for lang in LANGS],
        [category_row(c, outcomes) for c in CATEGORIES],
        [group_row(t, (o for o in outcomes if o.item.technique == t)) for t in TECHNIQUES],
    )


def evaluate(checker: Checker, items: Sequence[Item] | None = None) -> Report:
    return report(run(checker, load_items() if items is None else items))


# ---------------------------------------------------------------------------- formatting --

HEADERS = (
    "",
    "violating",
    "caught",
    "recall",
    "right cat.",
    "benign",
    "false flags",
    "false-flag rate",
    "precision",
)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"


def _cells(row: Row) -> list[str]:
    return [row.name, str(row.violating), str(row.caught), _pct(row.recall), _pct(row.right_category_rate),
            str(row.benign), str(row.false_flags), _pct(row.false_flag_rate), _pct(row.precision)]  # fmt: skip


def _table(title: str, rows: Sequence[Row], markdown: bool) -> str:
    header = [title, *HEADERS[1:]]
    body = [_cells(r) for r in rows]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return "\n".join(lines)
    widths = [max(len(c[k]) for c in (header, *body)) for k in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = (
            c.ljust(w) if k == 0 else c.rjust(w) for k, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        return "  ".join(padded)

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *(line(c) for c in body)])


def format_tables(rep: Report, *, markdown: bool = False, techniques: bool = True) -> str:
    parts = [
        _table("language", [*rep.by_language, rep.overall], markdown),
        _table("category", rep.by_category, markdown),
    ]
    if techniques:
        parts.append(_table("technique", rep.by_technique, markdown))
    return "\n\n".join(parts)


def _show(o: Outcome) -> str:
    reasons = ",".join(o.reasons) or "-"
    return f"  [{o.item.lang}/{o.item.technique}] {o.item.text!r} -> {o.decision} ({reasons})"


def format_misses(rep: Report) -> str:
    lines = [f"false negatives ({len(rep.false_negatives)}), by category:"]
    for category in CATEGORIES:
        misses = [o for o in rep.false_negatives if o.item.label == category]
        if misses:
            lines.append(f" {category} ({len(misses)})")
            lines += [_show(o) for o in misses]
    lines.append(f"false positives ({len(rep.false_positives)}), by the category that fired:")
    fired = sorted({(o.reasons[0] if o.reasons else "-") for o in rep.false_positives})
    for reason in fired:
        misses = [o for o in rep.false_positives if (o.reasons[0] if o.reasons else "-") == reason]
        lines.append(f" {reason} ({len(misses)})")
        lines += [_show(o) for o in misses]
    lines.append(f"caught under another category ({len(rep.wrong_category)}):")
    lines += [f"{_show(o)} [labelled {o.item.label}]" for o in rep.wrong_category]
    return "\n".join(lines)
