#!/usr/bin/env python3
"""The moderation evaluation as tables for docs/benchmarks.md ("Moderation: evaluation").

    python scripts/moderation_eval.py              # markdown tables: per language, category, technique
    python scripts/moderation_eval.py --misses     # and every false negative / false positive
    python scripts/moderation_eval.py --json F     # and the figures as JSON in F
    python scripts/moderation_eval.py --check      # exit 1 if a target of issue 8 is missed

Runs ``redbridge.moderation.text.default_checker()`` over tests/moderation/eval_set.yaml, with the
metrics of tests/moderation/evaluation.py — the same computation the test suite asserts on
(tests/moderation/test_evaluation.py).
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
    parser.add_argument("--misses", action="store_true", help="list false negatives and false positives")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--no-techniques", action="store_true", help="leave out the per-technique table")
    args = parser.parse_args(argv)

    items = ev.load_items()
    started = time.perf_counter()
    rep = ev.evaluate(default_checker(), items)
    elapsed = time.perf_counter() - started
    violating = sum(i.violating for i in items)
    print(f"{len(items)} items ({violating} violating, {len(items) - violating} benign), "
          f"checker built and run in {elapsed:.1f} s\n")  # fmt: skip
    print(ev.format_tables(rep, markdown=True, techniques=not args.no_techniques))
    failures = rep.failures()
    print("\ntargets (recall ≥ {:.0%}, false flags ≤ {:.0%}, recall per language ≥ {:.0%}): {}".format(
        ev.MIN_RECALL, ev.MAX_FALSE_FLAG_RATE, ev.MIN_LANGUAGE_RECALL, "; ".join(failures) or "met"))  # fmt: skip
    if args.misses:
        print("\n```\n" + ev.format_misses(rep) + "\n```")
    if args.json:
        args.json.write_text(json.dumps(rep.as_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 1 if args.check and failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
