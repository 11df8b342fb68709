"""Image moderation benchmark: what hashing and NSFW scoring add to an upload, beside the re-encode.

    python bench/images.py [--images 40 --out bench/results/images.json]

What it does (docs/benchmarks.md, "Images: moderation cost and the match threshold", has the figures):

1. Pins the process to one core (an upload is processed on one core: one worker per slot).
2. Makes ``--images`` photo-like 1920×1080 pictures (``tests/moderation/pictures.py``; real photos
   cannot ship here), each a JPEG at quality 90 — the upload.
3. Loads open_nsfw once (timed; the resident memory it adds is measured from ``VmRSS``), then,
   interleaved picture by picture over the same uploads:
   * ``reencode`` — ``process_image`` with image moderation stubbed out (what an upload cost before);
   * ``reencode+moderation`` — ``process_image`` with the shipped scorer: re-encode, pHash and
     open_nsfw from the thumbnail, as the upload worker runs it;
   * ``phash`` and ``nsfw`` — the two measurements on their own, on the thumbnail.
4. The match threshold: pHash distances between each of 16 pictures and 11 edited copies of it
   (re-encoded, resized, cropped) and between all pairs of 60 unrelated pictures; for each
   threshold, the share of copies matched and of unrelated pairs matched (false matches).
5. The blocklist lookup an upload makes (``moderation.images.nearest_block``) against 10,000
   entries in SQLite.
"""

from __future__ import annotations

import argparse
import io
import itertools
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api  # bench/api.py: machine info, report writer

from moderation import percentiles, pin_one_core  # bench/moderation.py: the same one-core harness

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from redbridge.media import processing  # noqa: E402
from redbridge.moderation import images, signals  # noqa: E402
from tests.moderation.pictures import jpeg, picture, variants  # noqa: E402

THRESHOLDS = (4, 6, 8, 10, 12, 14, 16, 20)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def timed(fn: Callable[[], object]) -> int:
    start = time.perf_counter_ns()
    fn()
    return time.perf_counter_ns() - start


def _no_moderation(image: Image.Image, scorer: object) -> images.Signals:
    return images.Signals(0, None)


def cost(n: int) -> dict[str, Any]:
    uploads = [jpeg(picture(seed, (1920, 1080)), 90) for seed in range(n)]
    before = rss_mb()
    load_ms = timed(images.warm) / 1e6
    model_mb = rss_mb() - before
    scorer = images.OpenNSFW()
    real = images.analyse
    samples: dict[str, list[int]] = {"reencode": [], "reencode+moderation": [], "phash": [], "nsfw": []}
    processing.process_image(uploads[0], processing.ImageLimits(), scorer)  # warm both paths once
    for raw in uploads:
        images.analyse = _no_moderation  # type: ignore[assignment]
        try:
            samples["reencode"].append(timed(lambda raw=raw: processing.process_image(raw)))  # type: ignore[misc]
        finally:
            images.analyse = real  # type: ignore[assignment]
        samples["reencode+moderation"].append(
            timed(lambda raw=raw: processing.process_image(raw, processing.ImageLimits(), scorer)))  # type: ignore[misc]
        thumb = Image.open(io.BytesIO(processing.process_image(raw).thumb))
        thumb.load()
        samples["phash"].append(timed(lambda thumb=thumb: images.phash_of(thumb)))  # type: ignore[misc]
        samples["nsfw"].append(timed(lambda thumb=thumb: scorer.score(thumb)))  # type: ignore[misc]
    results = {name: percentiles(s) for name, s in samples.items()}
    added = results["reencode+moderation"]["p50_ms"] - results["reencode"]["p50_ms"]
    return {"images": n, "size": "1920x1080 JPEG q90", "upload_kb_mean": statistics.fmean(len(u) for u in uploads) / 1024,
            "model_load_ms": load_ms, "model_rss_mb": model_mb, "results": results,
            "moderation_adds_p50_ms": added,
            "moderation_share_p50": added / results["reencode+moderation"]["p50_ms"]}


def _hash(data: bytes) -> int:
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        thumb = img.convert("RGB").resize((540, round(540 * img.height / img.width)), Image.Resampling.LANCZOS)
    return images.phash_of(thumb)


def threshold_study(copies_of: int, unrelated: int) -> dict[str, Any]:
    same: list[tuple[str, int]] = []
    for seed in range(copies_of):
        img = picture(10_000 + seed, (960, 720))
        base = _hash(jpeg(img))
        same += [(name, signals.distance(base, _hash(data))) for name, data in variants(img).items()]
    hashes = [_hash(jpeg(picture(20_000 + seed, (960, 720)))) for seed in range(unrelated)]
    pairs = [signals.distance(a, b) for a, b in itertools.combinations(hashes, 2)]
    worst: dict[str, int] = {}
    for name, d in same:
        worst[name] = max(worst.get(name, 0), d)
    return {
        "copies": len(same), "unrelated_pairs": len(pairs), "copy_worst_by_edit": worst,
        "unrelated_min": min(pairs), "unrelated_mean": statistics.fmean(pairs),
        "by_threshold": {t: {"copies_matched": sum(d <= t for _, d in same) / len(same),
                             "false_matches": sum(d <= t for d in pairs) / len(pairs)} for t in THRESHOLDS},
    }


def lookup(entries: int) -> dict[str, Any]:
    import random

    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from redbridge.moderation.models import ImageBlock

    engine = create_engine("sqlite://")
    ImageBlock.__table__.create(engine)  # type: ignore[attr-defined]
    rng = random.Random(7)
    now = datetime.now(UTC)
    with Session(engine) as session:
        session.execute(ImageBlock.__table__.insert(), [  # type: ignore[attr-defined]
            {"id": i + 1, "phash": signals.to_signed(rng.getrandbits(64)), "category": "other", "reason": "",
             "source_media_id": None, "added_by": None, "created_at": now} for i in range(entries)])
        session.commit()
        probes = [signals.to_signed(rng.getrandbits(64)) for _ in range(50)]
        samples = [timed(lambda p=p: images.nearest_block(session, p, 10)) for p in probes]  # type: ignore[misc]
    return {"entries": entries, **percentiles(samples)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--out", type=Path, default=Path("bench/results/images.json"))
    args = parser.parse_args(argv)
    cpu = pin_one_core()
    report: dict[str, Any] = {"benchmark": "images", "machine": api.machine_info(), "cpu_pinned": cpu}
    report["cost"] = cost(args.images)
    c = report["cost"]
    print(f"{c['images']} uploads, {c['size']} (~{c['upload_kb_mean']:.0f} KB), one core (cpu {cpu})")
    print(f"open_nsfw load {c['model_load_ms']:.0f} ms, +{c['model_rss_mb']:.0f} MB resident")
    print(f"{'step':22} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for name, row in c["results"].items():
        print(f"{name:22} {row['p50_ms']:8.1f} {row['p99_ms']:8.1f} {row['mean_ms']:8.1f}")
    print(f"moderation adds {c['moderation_adds_p50_ms']:.1f} ms at p50 "
          f"({c['moderation_share_p50']:.0%} of an upload's processing)")
    report["threshold"] = study = threshold_study(16, 60)
    print(f"\npHash distances: {study['copies']} edited copies, {study['unrelated_pairs']} unrelated pairs "
          f"(nearest unrelated: {study['unrelated_min']} bits, mean {study['unrelated_mean']:.1f})")
    print("worst copy per edit: " + ", ".join(f"{k} {v}" for k, v in study["copy_worst_by_edit"].items()))
    print(f"{'threshold':>9} {'copies matched':>15} {'false matches':>14}")
    for t, row in study["by_threshold"].items():
        print(f"{t:>9} {row['copies_matched']:>15.1%} {row['false_matches']:>14.3%}")
    report["lookup"] = look = lookup(10_000)
    print(f"\nblocklist lookup, {look['entries']:,} entries (SQLite): p50 {look['p50_ms']:.1f} ms, "
          f"p99 {look['p99_ms']:.1f} ms")
    api.write_report(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
