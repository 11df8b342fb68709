"""Translation benchmark: the pipeline's own cost around an engine, cache hits, and engine calls
for a 50,000-viewer live room.

    python bench/translation.py [--items 400 --batch 16 --lookups 200000 --viewers 50000
                                 --messages 4 --out bench/results/translation.json]

What it does (docs/translation.md, "Benchmark", has the figures and how to read them):

1. Pins the process to one core and builds two CTranslate2 models with random weights and a
   SentencePiece vocabulary trained on a few lines (tests/translation/tiny_model.py): *tiny*
   (2+2 layers, d=16: the test model, milliseconds per batch) and *base* (6+6 layers, d=512:
   the shape of an OPUS-MT model, with a toy vocabulary). Random weights rarely emit the end
   token, so decoding runs to the length bound: engine time is on the slow side of real.
2. ``overhead``: ``--items`` note-like texts (sentences with prices, mentions, tags, numbers),
   translated zh→en by ``Translator.translate_many`` in batches of ``--batch`` with an empty
   cache, the engine wrapped in a timer. The pipeline's own time is the total minus the time
   inside ``translate_batch``; overhead = own / engine. Also per item in milliseconds.
3. ``cache_hit``: ``--lookups`` calls of ``Translator.translate`` on texts already translated
   (the path every viewer but the first takes: detection, hash, LRU): lookups/s. ``own_language``:
   as many calls on texts already in the reader's language (English for en, Chinese for zh-Hans
   and zh-Hant, which converts the script): calls/s.
4. ``live_room``: ``--messages`` messages (English, Chinese, mixed) each requested by every one
   of ``--viewers`` viewers, whose languages are 50% en, 40% zh-Hans, 10% zh-Hant: engine calls
   per message and target language, which must be 1 (or 0 where the text is already in the
   viewer's language), never per viewer.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import api  # bench/api.py: machine info, report writer

from moderation import pin_one_core
from redbridge.translation.engine import EngineError, SourceLang, TargetLang, TranslationEngine
from redbridge.translation.engines.ctranslate2 import CTranslate2Config, CTranslate2Engine
from redbridge.translation.service import TranslationRequest, Translator
from tests.translation.tiny_model import build_tiny_model

TARGET_HITS_PER_S = 20_000.0
TARGET_OVERHEAD = 0.10
PLACES = ["成都", "上海", "宽窄巷子", "外滩"]


class Timed:
    """An engine wrapper that counts calls and the time spent inside ``translate_batch``."""

    def __init__(self, inner: TranslationEngine) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.calls = 0
        self.pieces = 0
        self.name = inner.name
        self.sees_placeholders = inner.sees_placeholders
        self.instructable = inner.instructable
        self.max_segment_chars = inner.max_segment_chars
        self.max_segment_sentences = inner.max_segment_sentences

    def supports(self, source: SourceLang, target: TargetLang) -> bool:
        return self.inner.supports(source, target)

    def translate_batch(self, texts: Sequence[str], source: SourceLang, target: TargetLang) -> Sequence[str | EngineError]:
        started = time.perf_counter()
        try:
            return self.inner.translate_batch(texts, source, target)
        finally:
            self.seconds += time.perf_counter() - started
            self.calls += 1
            self.pieces += len(texts)


def note_texts(n: int) -> list[str]:
    out = []
    for i in range(n):
        place = PLACES[i % len(PLACES)]
        out.append(
            f"第{i}次来{place}吃火锅，人均¥{38 + i % 50}，太好吃了！"
            f"推荐给 @lily_chen 和大家 #美食# 😍 今天天气很好，我们去公园散步。"
        )
    return out


def engine(directory: Path) -> CTranslate2Engine:
    return CTranslate2Engine(CTranslate2Config(model_dir=directory, pairs=(("zh", "en"), ("en", "zh-Hans"))))


def overhead(directory: Path, items: int, batch: int) -> dict[str, Any]:
    texts = note_texts(items)
    timed = Timed(engine(directory))
    translator = Translator([timed])
    started = time.perf_counter()
    for i in range(0, items, batch):
        results = translator.translate_many([TranslationRequest(t, "en", tuple(PLACES)) for t in texts[i : i + batch]])
        assert all(r.status == "translated" for r in results), results[0]
    total = time.perf_counter() - started
    own = total - timed.seconds
    return {
        "items": items, "batch": batch, "engine_calls": timed.calls, "pieces": timed.pieces,
        "total_s": total, "engine_s": timed.seconds, "pipeline_own_s": own,
        "own_ms_per_item": own / items * 1e3, "engine_ms_per_item": timed.seconds / items * 1e3,
        "overhead": own / timed.seconds,
    }


def cache_hits(directory: Path, lookups: int) -> dict[str, Any]:
    texts = note_texts(64)
    translator = Translator([engine(directory)])
    translator.translate_many([TranslationRequest(t, "en") for t in texts])
    started = time.perf_counter()
    for i in range(lookups):
        result = translator.translate(texts[i % len(texts)], "en")
    elapsed = time.perf_counter() - started
    assert result.cached
    return {"lookups": lookups, "seconds": elapsed, "lookups_per_s": lookups / elapsed,
            "us_per_lookup": elapsed / lookups * 1e6}


def own_language(lookups: int) -> dict[str, Any]:
    """Texts already in the reader's language: no engine, no cache, the answer is the text
    (or its script conversion)."""
    zh = note_texts(32)
    en = [f"Hotpot night {i} with @lily_chen in Chengdu, ¥{38 + i} each, so good! #food# 😍 Going again." for i in range(32)]
    cases: list[tuple[str, TargetLang]] = [(t, "en") for t in en] + [(t, "zh-Hans") for t in zh] + [(t, "zh-Hant") for t in zh]
    translator = Translator([])
    out: dict[str, Any] = {"lookups": lookups}
    for target in ("en", "zh-Hans", "zh-Hant"):
        texts = [t for t, tt in cases if tt == target]
        started = time.perf_counter()
        for i in range(lookups):
            result = translator.translate(texts[i % len(texts)], target)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - started
        assert result.status in ("unchanged", "converted"), result
        out[target] = {"calls_per_s": lookups / elapsed, "us_per_call": elapsed / lookups * 1e6, "status": result.status}
    return out


def live_room(directory: Path, viewers: int, messages: int) -> dict[str, Any]:
    pool = ["直播间的朋友们大家好！今天教大家做麻婆豆腐。", "Hello everyone from Ohio, this is my first time here!",
            "OMG 这个 lipstick 好好看", "主播这个锅在哪里买的？多少钱？"]
    targets: list[TargetLang] = ["en"] * 5 + ["zh-Hans"] * 4 + ["zh-Hant"]
    timed = Timed(engine(directory))
    translator = Translator([timed])
    rows = []
    started = time.perf_counter()
    for message in (pool * (messages // len(pool) + 1))[:messages]:
        calls_before = timed.calls
        per_target: dict[str, int] = {}
        statuses: dict[str, set[str]] = {}
        for viewer in range(viewers):
            target = targets[viewer % len(targets)]
            before = timed.calls
            result = translator.translate(message, target)
            per_target[target] = per_target.get(target, 0) + (timed.calls - before)
            statuses.setdefault(target, set()).add(result.status)
        rows.append({"message": message, "engine_calls": timed.calls - calls_before,
                     "engine_calls_per_target": per_target,
                     "status_per_target": {k: sorted(v) for k, v in statuses.items()}})
    elapsed = time.perf_counter() - started
    return {"viewers": viewers, "messages": rows, "requests": viewers * len(rows), "seconds": elapsed,
            "max_engine_calls_per_message_and_target": max(max(r["engine_calls_per_target"].values()) for r in rows)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=400)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lookups", type=int, default=200_000)
    parser.add_argument("--viewers", type=int, default=50_000)
    parser.add_argument("--messages", type=int, default=4)
    parser.add_argument("--out", type=Path, default=Path("bench/results/translation.json"))
    args = parser.parse_args(argv)
    cpu = pin_one_core()
    report: dict[str, Any] = api.report_head("translation", api.machine_info(), {}, args)
    report["cpu_pinned"] = cpu
    with tempfile.TemporaryDirectory() as tmp:
        models = {
            "tiny": build_tiny_model(Path(tmp) / "tiny"),
            "base": build_tiny_model(Path(tmp) / "base", layers=6, d_model=512),
        }
        report["overhead"] = {name: overhead(path, args.items, args.batch) for name, path in models.items()}
        report["cache_hit"] = cache_hits(models["tiny"], args.lookups)
        report["own_language"] = own_language(args.lookups // 4)
        report["live_room"] = live_room(models["tiny"], args.viewers, args.messages)

    print(f"one core (cpu {cpu}); {args.items} texts zh→en in batches of {args.batch}")
    print(f"{'model':6} {'engine ms/item':>15} {'own ms/item':>12} {'overhead':>9} {'calls':>6} {'pieces':>7}")
    for name, row in report["overhead"].items():
        print(f"{name:6} {row['engine_ms_per_item']:15.3f} {row['own_ms_per_item']:12.3f} {row['overhead']:9.1%} "
              f"{row['engine_calls']:6} {row['pieces']:7}")
    hit = report["cache_hit"]
    print(f"cache hit: {hit['lookups_per_s']:,.0f} lookups/s ({hit['us_per_lookup']:.1f} µs each)")
    for target, row in report["own_language"].items():
        if isinstance(row, dict):
            print(f"own language {target}: {row['calls_per_s']:,.0f} calls/s ({row['us_per_call']:.1f} µs each, {row['status']})")
    room = report["live_room"]
    print(f"live room: {room['viewers']:,} viewers × {len(room['messages'])} messages = {room['requests']:,} requests "
          f"in {room['seconds']:.1f} s")
    for row in room["messages"]:
        print(f"  {row['engine_calls']} engine calls {row['engine_calls_per_target']}  {row['message'][:40]}")
    report["targets"] = {
        "cache_hit_per_s": {"target": TARGET_HITS_PER_S, "met": hit["lookups_per_s"] >= TARGET_HITS_PER_S},
        "overhead_base": {"target": TARGET_OVERHEAD, "met": report["overhead"]["base"]["overhead"] <= TARGET_OVERHEAD},
        "calls_per_message_and_target": {"target": 1, "met": room["max_engine_calls_per_message_and_target"] <= 1},
    }
    print("targets:", {k: "met" if v["met"] else "NOT met" for k, v in report["targets"].items()})
    api.write_report(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
