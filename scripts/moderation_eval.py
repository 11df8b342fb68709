#!/usr/bin/env python3
"""The moderation evaluation as tables for docs/benchmarks.md ("Moderation: evaluation").

    python scripts/moderation_eval.py              # markdown tables: per language, category, technique
    python scripts/moderation_eval.py --misses     # and every false negative / false positive
    python scripts/moderation_eval.py --json F     # and the figures as JSON in F
    python scripts/moderation_eval.py --check      # exit 1 if a target of issue 8 is missed
    python scripts/moderation_eval.py tests/moderation/heldout_dev.yaml --misses   # another set

Runs ``redbridge.moderation.text.default_checker()`` over tests/moderation/eval_set.yaml (or the
sets named), with the metrics of tests/moderation/evaluation.py — the same computation the test suite
asserts on (tests/moderation/test_evaluation.py, tests/moderation/test_heldout.py). The held-out test
split (heldout_test.yaml) is for measuring only: tune against eval_set and heldout_dev's misses,
never against its own.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the set and its metrics live in tests/moderation/

from redbridge.moderation.text import default_checker  # noqa: E402
from tests.moderation import evaluation as ev  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path, metavar="SET",
                        help="evaluation sets to run, one after the other (default: eval_set.yaml)")
    parser.add_argument("--misses", action="store_true", help="list false negatives and false positives")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--no-techniques", action="store_true", help="leave out the per-technique table")
    args = parser.parse_args(argv)

    checker = default_checker()
    missed, figures = False, {}
    for path in args.sets or [ev.SET_PATH]:
        items = ev.load_items(path)
        started = time.perf_counter()
        rep = ev.evaluate(checker, items)
        elapsed = time.perf_counter() - started
        violating = sum(i.violating for i in items)
        print(f"### {path.name}\n\n{len(items)} items ({violating} violating, {len(items) - violating} benign), "
              f"run in {elapsed:.1f} s\n")  # fmt: skip
        print(ev.format_tables(rep, markdown=True, techniques=not args.no_techniques))
        failures = rep.failures()
        print("\ntargets (recall ≥ {:.0%}, false flags ≤ {:.0%}, recall per language ≥ {:.0%}): {}\n".format(
            ev.MIN_RECALL, ev.MAX_FALSE_FLAG_RATE, ev.MIN_LANGUAGE_RECALL, "; ".join(failures) or "met"))  # fmt: skip
        if args.misses:
            print("```\n" + ev.format_misses(rep) + "\n```\n")
        missed = missed or bool(failures)
        figures[path.name] = rep.as_dict()
    if args.json:
        # One set: its figures, as before; several: keyed by file name.
        data = next(iter(figures.values())) if len(figures) == 1 else figures
        args.json.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
