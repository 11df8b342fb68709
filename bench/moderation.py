"""Moderation benchmark: the text pipeline's throughput and per-item latency on one core.

    python bench/moderation.py [--items 100000 --batch 256 --out bench/results/moderation.json]

What it does (docs/benchmarks.md, "Moderation: text pipeline", has the figures):

1. Pins the process to one core (``os.sched_setaffinity``) and runs single-threaded.
2. Takes the texts of the evaluation set (``tests/moderation/eval_set.yaml``; the strings of
   ``tests/moderation/test_lexicon.py`` if the set is not there) and repeats them, in order, to
   ``--items`` items.
3. Builds the default checker (shipped lists → lexicon) and loads the classifier, timing each
   once: a process pays them on its first check, never again.
4. Measures, interleaved round by round over the same items:
   * ``pipeline`` — ``TextChecker.check_many`` in batches of ``--batch`` (normalise + lexicon +
     English classifier): items/s;
   * ``pipeline_per_item`` — ``TextChecker.check`` on one item at a time, each timed on its own:
     items/s and the latency percentiles (p50 / p99 / p99.9 / max) per item;
   * ``normalize`` and ``normalize+lexicon`` — the stages on their own, per item;
   * ``naive`` — the baseline: lower-case the text and search it for every term of the same lists
     as a substring (``term in text``), one item at a time, timed the same way.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api  # bench/api.py: machine info, report writer

ROOT = Path(__file__).resolve().parents[1]
EVAL_SET = ROOT / "tests" / "moderation" / "eval_set.yaml"
TARGET_ITEMS_PER_S = 5000.0
TARGET_P99_MS = 2.0


def load_texts() -> tuple[list[str], str]:
    if EVAL_SET.exists():
        data = yaml.safe_load(EVAL_SET.read_text(encoding="utf-8"))
        return [str(item["text"]) for item in data["items"]], str(EVAL_SET.relative_to(ROOT))
    sys.path.insert(0, str(ROOT))
    from tests.moderation.test_lexicon import BENIGN, EVASIONS

    return [*EVASIONS, *BENIGN], "tests/moderation/test_lexicon.py"


def pin_one_core() -> int | None:
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
    except (AttributeError, OSError):
        return None
    return cpu


def percentiles(samples_ns: Sequence[int]) -> dict[str, float]:
    ordered = sorted(samples_ns)
    n = len(ordered)

    def at(q: float) -> float:
        return ordered[min(n - 1, int(q * n))] / 1e6

    return {"p50_ms": at(0.50), "p90_ms": at(0.90), "p99_ms": at(0.99), "p999_ms": at(0.999),
            "max_ms": ordered[-1] / 1e6, "mean_ms": statistics.fmean(ordered) / 1e6}


def per_item(fn: Callable[[str], object], items: Sequence[str]) -> tuple[float, list[int]]:
    clock = time.perf_counter_ns
    samples = [0] * len(items)
    started = clock()
    for i, text in enumerate(items):
        t0 = clock()
        fn(text)
        samples[i] = clock() - t0
    return (clock() - started) / 1e9, samples


def batched(fn: Callable[[Sequence[str]], object], items: Sequence[str], batch: int) -> float:
    started = time.perf_counter()
    for i in range(0, len(items), batch):
        fn(items[i:i + batch])
    return time.perf_counter() - started


def naive_matcher(terms: Sequence[str]) -> Callable[[str], list[str]]:
    def match(text: str) -> list[str]:
        lowered = text.lower()
        return [t for t in terms if t in lowered]

    return match


def run(n_items: int, batch: int, rounds: int) -> dict[str, Any]:
    cpu = pin_one_core()
    texts, source = load_texts()
    items = (texts * (n_items // len(texts) + 1))[:n_items]

    t0 = time.perf_counter()
    from redbridge.moderation.lexicon import Lexicon
    from redbridge.moderation.normalize import normalize
    from redbridge.moderation.rules import load_defaults
    from redbridge.moderation.text import TextChecker

    rules = load_defaults()
    lexicon = Lexicon.build(rules)
    checker = TextChecker(lexicon)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    from redbridge.moderation.classifier import toxicity_model

    toxicity_model()
    classifier_load_s = time.perf_counter() - t0
    terms = sorted({r.pattern.strip("*").strip().lower() for r in rules if r.kind == "term"})
    naive = naive_matcher(terms)
    checker.check_many(texts)  # warm the caches (pinyin readings, OpenCC) once, like a server would

    def lex(text: str) -> object:
        return lexicon.match(normalize(text))

    per: dict[str, list[int]] = {"pipeline_per_item": [], "normalize": [], "normalize+lexicon": [], "naive": []}
    wall: dict[str, float] = dict.fromkeys(("pipeline", *per), 0.0)
    chunk = max(1, n_items // rounds)
    gc.collect()
    gc.freeze()
    for start in range(0, n_items, chunk):
        part = items[start:start + chunk]
        wall["pipeline"] += batched(checker.check_many, part, batch)
        for name, fn in (("pipeline_per_item", checker.check), ("normalize", normalize),
                         ("normalize+lexicon", lex), ("naive", naive)):
            spent, samples = per_item(fn, part)
            wall[name] += spent
            per[name].extend(samples)

    results: dict[str, Any] = {"pipeline": {"items_per_s": n_items / wall["pipeline"], "batch": batch}}
    for name, samples in per.items():
        results[name] = {"items_per_s": n_items / wall[name], **percentiles(samples)}
    p99 = results["pipeline_per_item"]["p99_ms"]
    return {
        "items": n_items, "distinct_texts": len(texts), "source": source, "cpu_pinned": cpu, "rounds": rounds,
        "rules": len(rules), "naive_terms": len(terms), "build_lexicon_s": build_s,
        "classifier_load_s": classifier_load_s, "results": results,
        "targets": {"items_per_s": TARGET_ITEMS_PER_S, "p99_ms": TARGET_P99_MS,
                    "met": results["pipeline"]["items_per_s"] >= TARGET_ITEMS_PER_S and p99 <= TARGET_P99_MS},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=256, help="check_many batch size")
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds the items are cut into")
    parser.add_argument("--out", type=Path, default=Path("bench/results/moderation.json"))
    args = parser.parse_args(argv)
    report = run(args.items, args.batch, args.rounds)
    print(f"{report['items']:,} items ({report['distinct_texts']} distinct, {report['source']}), "
          f"one core (cpu {report['cpu_pinned']}), {report['rules']} rules")
    print(f"lexicon build {report['build_lexicon_s'] * 1e3:.0f} ms, classifier load {report['classifier_load_s']:.2f} s")
    print(f"{'variant':20} {'items/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} {'max ms':>8}")
    for name, row in report["results"].items():
        if "p99_ms" in row:
            print(f"{name:20} {row['items_per_s']:10,.0f} {row['p50_ms']:8.3f} {row['p99_ms']:8.3f} "
                  f"{row['p999_ms']:9.3f} {row['max_ms']:8.3f}")
        else:
            print(f"{name:20} {row['items_per_s']:10,.0f}   (check_many, batches of {row['batch']})")
    print(f"targets (≥ {TARGET_ITEMS_PER_S:,.0f} items/s, p99 ≤ {TARGET_P99_MS} ms): "
          f"{'met' if report['targets']['met'] else 'NOT met'}")
    api.write_report(args.out, {"benchmark": "moderation", "machine": api.machine_info(), **report})
    return 0


if __name__ == "__main__":
    sys.exit(main())
