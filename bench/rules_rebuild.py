"""Rules editor benchmark: the cost of one rebuild of the checker in force (docs/benchmarks.md,
"Rules editor: rebuild").

    python bench/rules_rebuild.py [--rounds 5]

A rebuild (``moderation.live.LiveRules._load`` minus its two reads) re-creates the rules in force —
every shipped rule through ``with_override`` with an override of its own (the worst case: each one
re-created), plus a few administrators' rules (terms and regexes, via ``admin_rule``) — and compiles
them into a ``TextChecker``. Warm: one rebuild runs first (the shipped lists are parsed and their
regexes checked once per process). Prints the median of ``--rounds`` rebuilds.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime

from redbridge.moderation.lexicon import Lexicon
from redbridge.moderation.live import admin_rule, with_override
from redbridge.moderation.models import ModerationRule, RuleOverride
from redbridge.moderation.rules import load_defaults
from redbridge.moderation.text import TextChecker

NOW = datetime(2026, 12, 3, tzinfo=UTC)
ADMIN = [("term", "spamword"), ("term", "加微信领取"), ("regex", r"\bwin\s+\d{3,} ?usd\b"),
         ("regex", r"(?:t\.me|telegram)/[a-z0-9_]{5,}"), ("regex", r"\b1[3-9]\d{9}\b")]


def rebuild() -> TextChecker:
    rules = [with_override(r, RuleOverride(rule_id=r.id, enabled=True, action=None)) for r in load_defaults()]
    for i, (kind, pattern) in enumerate(ADMIN, 1):
        rules.append(admin_rule(ModerationRule(id=i, kind=kind, pattern=pattern, category="spam", lang="any",
                                               action="hold", enabled=True, allow=[])))
    return TextChecker(Lexicon.build(rules))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rebuild()
    spent = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        rebuild()
        spent.append(time.perf_counter() - t0)
    print(f"rebuild: median {statistics.median(spent) * 1000:.1f} ms of {args.rounds} "
          f"(min {min(spent) * 1000:.1f}, max {max(spent) * 1000:.1f}); {len(load_defaults())} shipped rules")


if __name__ == "__main__":
    main()
