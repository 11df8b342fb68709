"""Outbox benchmark: what the transactional outbox costs per write, on SQLite.

    python bench/outbox.py [--writes 200 --rounds 11 --out bench/results/outbox.json]

What it does (docs/benchmarks.md, "Outbox: cost per write", has the figures):

1. A fresh SQLite database (WAL, the app's own engine settings and migrations) and an embedded
   job queue (SqliteHuey, ``jobs.db``) in a temporary var dir; no worker runs, so the jobs
   themselves (notifications, hot rank) are not part of the measurement — only getting them
   there is.
2. Two writes, each one transaction through the real action, one after another in one thread:
   a like (``engagement.actions.set_note_like``: publishes ``note.liked`` and ``note.engaged``,
   two outbox rows) and a text note (``notes.actions.create_note``: ``note.created``, one row).
3. Each write in four variants, interleaved round by round so that database growth and machine
   noise fall on all of them alike:
   * ``baseline`` — ``events.publish`` replaced by a no-op: no rows, no enqueue;
   * ``rows`` — the outbox rows written in the transaction, not relayed (the cost inside the
     request's transaction, which is what a request waits for);
   * ``relay_each`` — rows written and relayed after every write (claim, enqueue, delete: what a
     relay woken by each commit of a quiet server does; in a server it runs on the worker thread,
     here it is counted with the write);
   * ``relay_batched`` — rows written, relayed every 100 writes (a busy server's batches).
   Reported per variant: wall-clock ms per write (median round, and best round — the machine is
   shared, and the best round is the least disturbed), this process's CPU ms per write (median),
   each with its ratio to the baseline. A first round of every variant warms up, uncounted.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api  # bench/api.py: machine info, report writer

from redbridge.core import events, ids, migrate
from redbridge.core.clock import SystemClock
from redbridge.core.outbox import OutboxRelay
from redbridge.core.services import Services, build
from redbridge.engagement import actions as engagement
from redbridge.moderation import screening
from redbridge.notes import actions as notes
from redbridge.notes.models import Note
from redbridge.notes.ranking import hot_score
from redbridge.notes.schemas import NoteCreate
from redbridge.settings import PasswordSettings, Settings

VARIANTS = ("baseline", "rows", "relay_each", "relay_batched")
BATCH = 100


def _services(var_dir: Path) -> Services:
    settings = Settings(env="prod", var_dir=var_dir, jobs_mode="embedded", secret_key="bench",  # type: ignore[arg-type]
                        passwords=PasswordSettings(hash_workers=1))
    services = build(settings)
    migrate.upgrade(services.engine)
    return services


def _user(services: Services, name: str) -> int:
    from redbridge.accounts.models import User

    now = SystemClock().now()
    with services.sessions() as session:
        user = User(id=ids.new_id(now), username=name, username_key=name, email=None, password_hash="-",
                    created_at=now)
        session.add(user)
        session.commit()
        return user.id


def _notes(services: Services, author_id: int, n: int) -> list[int]:
    now = SystemClock().now()
    made = []
    with services.sessions() as session:
        for i in range(n):
            note_id = ids.new_id(now)
            session.add(Note(id=note_id, author_id=author_id, kind="text", title=f"bench {i}", body="", lang="en",
                             topic=None, like_count=0, collect_count=0, comment_count=0, hot=hot_score(0, 0, 0, now),
                             created_at=now, updated_at=now))
            made.append(note_id)
        session.commit()
    return made


def _like(services: Services, liker: int, note_id: int) -> Callable[[], None]:
    def write() -> None:
        with services.sessions() as session:
            engagement.set_note_like(session, liker, note_id, datetime.now(UTC), True)

    return write


def _create(services: Services, author: int, title: str) -> Callable[[], None]:
    data = NoteCreate(title=title, body="A plain text note #bench")
    checker = screening.checker(services)

    def write() -> None:
        with services.sessions() as session:
            notes.create_note(session, datetime.now(UTC), author, data, checker=checker)

    return write


@contextlib.contextmanager
def _publishing(enabled: bool) -> Iterator[None]:
    """The baseline: the same actions with ``events.publish`` a no-op (hooks unchanged)."""
    real = events.publish
    if not enabled:
        events.publish = lambda *_args, **_kwargs: None  # type: ignore[assignment]
    try:
        yield
    finally:
        events.publish = real  # type: ignore[assignment]


def _timed(writes: list[Callable[[], None]], relay: OutboxRelay, variant: str) -> tuple[float, float]:
    """(wall, CPU) seconds for these writes and, per variant, their relaying."""
    start, cpu = time.perf_counter(), time.process_time()
    with _publishing(variant != "baseline"):
        for i, write in enumerate(writes, 1):
            write()
            if variant == "relay_each" or (variant == "relay_batched" and i % BATCH == 0):
                relay.drain(peek=False)
        if variant == "relay_batched":
            relay.drain()
    return time.perf_counter() - start, time.process_time() - cpu


def run(writes: int, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="redbridge-bench-outbox-") as tmp:
        services = _services(Path(tmp))
        # The relay in-line: no worker thread competes for the cores or the write lock.
        relay = services.queue.relay
        assert relay is not None
        try:
            author, liker = _user(services, "author"), _user(services, "liker")
            per_write: dict[str, dict[str, list[float]]] = {"like": {}, "note": {}}
            cpu_per_write: dict[str, dict[str, list[float]]] = {"like": {}, "note": {}}
            for r in range(-1, rounds):  # round -1 warms the caches and the database file up
                for kind in ("like", "note"):
                    order = VARIANTS[r % len(VARIANTS):] + VARIANTS[:r % len(VARIANTS)]
                    for variant in order:
                        if kind == "like":
                            batch = [_like(services, liker, n) for n in _notes(services, author, writes)]
                        else:
                            batch = [_create(services, author, f"Round {r} note {i}") for i in range(writes)]
                        wall, cpu = _timed(batch, relay, variant)
                        if r < 0:
                            continue
                        per_write[kind].setdefault(variant, []).append(wall * 1000 / writes)
                        cpu_per_write[kind].setdefault(variant, []).append(cpu * 1000 / writes)
            assert relay.drain() == 0  # every row was relayed by its variant's end (or never written)
        finally:
            services.close()
    results: dict[str, Any] = {}
    for kind, by_variant in per_write.items():
        base = statistics.median(by_variant["baseline"])
        base_min = min(by_variant["baseline"])
        base_cpu = statistics.median(cpu_per_write[kind]["baseline"])
        results[kind] = {}
        for variant, ms in by_variant.items():
            cpu_ms = statistics.median(cpu_per_write[kind][variant])
            results[kind][variant] = {
                "ms_per_write": round(statistics.median(ms), 3),
                "ratio_to_baseline": round(statistics.median(ms) / base, 3),
                "best_ms_per_write": round(min(ms), 3),
                "best_ratio_to_baseline": round(min(ms) / base_min, 3),
                "cpu_ms_per_write": round(cpu_ms, 3),
                "cpu_ratio_to_baseline": round(cpu_ms / base_cpu, 3),
                "rounds_ms": [round(x, 3) for x in ms],
            }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writes", type=int, default=200, help="writes per variant per round")
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--out", type=Path, default=Path("bench/results/outbox.json"))
    args = parser.parse_args(argv)
    results = run(args.writes, args.rounds)
    print(f"{'write':6} {'variant':14} {'ms/write':>9} {'× base':>7} {'best ms':>8} {'× base':>7} "
          f"{'CPU ms':>7} {'× base':>7}")
    for kind, by_variant in results.items():
        for variant in VARIANTS:
            row = by_variant[variant]
            print(f"{kind:6} {variant:14} {row['ms_per_write']:9.3f} {row['ratio_to_baseline']:7.2f} "
                  f"{row['best_ms_per_write']:8.3f} {row['best_ratio_to_baseline']:7.2f} "
                  f"{row['cpu_ms_per_write']:7.3f} {row['cpu_ratio_to_baseline']:7.2f}")
    api.write_report(args.out, {
        "benchmark": "outbox", "machine": api.machine_info(), "writes_per_round": args.writes,
        "rounds": args.rounds, "relay_batch": BATCH, "results": results,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
