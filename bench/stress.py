"""Stress benchmark: bursts of 100 / 300 / 1,000 simultaneous anonymous requests on the hottest
endpoints, with /healthz latency measured while each burst is in flight.

    python bench/stress.py [--notes 10000 --users 1000 --bursts 100,300,1000 \
                            --out bench/results/stress.json]

What it does (docs/benchmarks.md, "Stress: bursts", has the figures):

1. The demo community on SQLite, built and cached by ``bench/api.py``'s ``prepare_data``
   (``var/bench-<notes>-<users>/``; every run starts from a fresh copy).
2. The real server with default settings (``bench/api.py``'s ``running_server``: uvicorn, uvloop,
   httptools, one process, loopback only, prod env; default ``CapacitySettings``), or with
   ``--max-inflight`` / ``--max-queued`` / ``--queue-timeout`` overriding admission control.
3. For each burst size and endpoint (explore feed, a note, its comments, its page): that many
   requests sent at once, each on its own fresh connection (``bench/api.py``'s minimal raw
   HTTP/1.1 client), while one more connection asks /healthz every 50 ms until the last answer.
   Reported: counts per status (0 = no answer within ``--timeout``), p50/p99/max latency of
   all answers, and the /healthz p50/max during the burst. Between bursts the script waits for
   /readyz to report no load (bounded).

Everything runs on 127.0.0.1 against a server the script starts and always stops; the load
generator shares the cores with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api  # bench/api.py: data set, server, raw client, percentiles

HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
HEALTH_EVERY_S = 0.05
SETTLE_LIMIT_S = 60.0
MAX_BURST = 5_000


async def one(host: str, port: int, path: str, headers: dict[str, str], limit_s: float) -> tuple[int, float, str]:
    """A request on its own new connection: (status or 0, latency ms, retry-after or error)."""
    conn = api.RawConnection(host, port)
    start = time.perf_counter()
    try:
        status, _body = await asyncio.wait_for(conn.get(path, {**headers, "Connection": "close"}), limit_s)
        return status, (time.perf_counter() - start) * 1000, ""
    except (TimeoutError, OSError, EOFError, ValueError, asyncio.IncompleteReadError) as exc:
        return 0, (time.perf_counter() - start) * 1000, type(exc).__name__
    finally:
        await conn.close()


async def burst(port: int, path: str, headers: dict[str, str], size: int, limit_s: float) -> dict[str, Any]:
    remaining = size

    async def tracked() -> tuple[int, float, str]:
        nonlocal remaining
        try:
            return await one(api.HOST, port, path, headers, limit_s)
        finally:
            remaining -= 1

    tasks = [asyncio.ensure_future(tracked()) for _ in range(size)]
    health: list[float] = []
    health_failed = 0
    probe = api.RawConnection(api.HOST, port)
    deadline = time.monotonic() + limit_s + 5
    try:
        while remaining and time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                status, _ = await asyncio.wait_for(probe.get("/healthz", {}), limit_s)
            except (TimeoutError, OSError, EOFError, ValueError, asyncio.IncompleteReadError):
                status = 0
            health.append((time.perf_counter() - start) * 1000)
            if status != 200:
                health_failed += 1
            await asyncio.sleep(HEALTH_EVERY_S)
    finally:
        await probe.close()
    results = await asyncio.gather(*tasks)
    latencies = sorted(ms for _, ms, _ in results)
    health.sort()
    return {
        "requests": size,
        "status": {str(k): v for k, v in sorted(Counter(s for s, _, _ in results).items())},
        "errors": dict(Counter(e for s, _, e in results if s == 0 and e)),
        "p50_ms": round(api.percentile(latencies, 50), 1),
        "p99_ms": round(api.percentile(latencies, 99), 1),
        "max_ms": round(latencies[-1], 1),
        "healthz": {"samples": len(health), "failed": health_failed,
                    "p50_ms": round(api.percentile(health, 50), 1) if health else None,
                    "max_ms": round(health[-1], 1) if health else None},
    }


async def settle(port: int) -> dict[str, int]:
    """Wait (bounded) until /readyz reports nothing in flight or queued."""
    deadline = time.monotonic() + SETTLE_LIMIT_S
    load: dict[str, int] = {}
    async with httpx.AsyncClient(base_url=f"http://{api.HOST}:{port}", timeout=10) as client:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
                load = (await client.get("/readyz")).json()["load"]
                if load.get("inflight") == 0 and load.get("queued") == 0:
                    break
            await asyncio.sleep(0.2)
    return load


async def run(port: int, note_id: int, sizes: list[int], limit_s: float) -> dict[str, Any]:
    endpoints = {
        "explore": ("/api/v1/feeds/explore", {}),
        "note": (f"/api/v1/notes/{note_id}", {}),
        "comments": (f"/api/v1/notes/{note_id}/comments", {}),
        "note_page": (f"/n/{note_id}", {"Accept": HTML}),
    }
    results: dict[str, dict[str, Any]] = {}
    for size in sizes:
        results[str(size)] = {}
        for name, (path, headers) in endpoints.items():
            await settle(port)
            burst_result = await burst(port, path, headers, size, limit_s)
            burst_result["path"] = path
            burst_result["load_after"] = await settle(port)
            results[str(size)][name] = burst_result
            print(f"  {size:>5} x {name:<10} {burst_result['status']}  p50 {burst_result['p50_ms']} ms  "
                  f"p99 {burst_result['p99_ms']} ms  /healthz max {burst_result['healthz']['max_ms']} ms", flush=True)
    return results


def print_table(report: dict[str, Any]) -> None:
    print()
    print(f"{'burst':>6} {'endpoint':<10} {'statuses':<34}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'hz p50':>8}{'hz max':>8}{'hz n':>6}")
    for size, endpoints in report["bursts"].items():
        for name, r in endpoints.items():
            statuses = " ".join(f"{k}x{v}" for k, v in r["status"].items())
            hz = r["healthz"]
            print(f"{size:>6} {name:<10} {statuses:<34}{r['p50_ms']:>9}{r['p99_ms']:>9}{r['max_ms']:>9}"
                  f"{hz['p50_ms']!s:>8}{hz['max_ms']!s:>8}{hz['samples']:>6}")
    m = report["machine"]
    print(f"\nmachine: {m['nproc']} cores, Python {m['python']}, SQLite {m['sqlite']}; "
          f"load generator on the same cores; capacity {report['capacity'] or 'defaults'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--bursts", default="100,300,1000", help="comma-separated burst sizes")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a request may take before it counts as unanswered")
    parser.add_argument("--max-inflight", type=int, help="override capacity.max_inflight (default: the app's)")
    parser.add_argument("--max-queued", type=int, help="override capacity.max_queued")
    parser.add_argument("--queue-timeout", type=float, help="override capacity.queue_timeout_s")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache-dir", type=Path, default=api.ROOT / "var")
    parser.add_argument("--fresh", action="store_true", help="re-seed even if a cached data set exists")
    parser.add_argument("--out", type=Path, default=api.ROOT / "bench" / "results" / "stress.json")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.bursts.split(",") if s.strip()]
    if not sizes or min(sizes) < 1 or max(sizes) > MAX_BURST or min(args.notes, args.users) < 1 or args.timeout <= 0:
        parser.error(f"burst sizes must be 1..{MAX_BURST}; counts and timeout positive")

    capacity = {k: v for k, v in {"MAX_INFLIGHT": args.max_inflight, "MAX_QUEUED": args.max_queued,
                                  "QUEUE_TIMEOUT_S": args.queue_timeout}.items() if v is not None}
    machine = api.machine_info()
    run_dir, data = api.prepare_data(args.notes, args.users, args.cache_dir, args.fresh)
    _users, popular = api.pick_fixtures(run_dir / "redbridge.db", args.seed)
    note_id = popular[0]
    port = api.free_port()
    print(f"server: uvicorn (uvloop, httptools, 1 process) on http://{api.HOST}:{port}, data in {run_dir}", flush=True)
    extra_env = {f"REDBRIDGE_CAPACITY__{k}": str(v) for k, v in capacity.items()}
    with api.running_server(run_dir, port, extra_env):
        bursts = uvloop.run(run(port, note_id, sizes, args.timeout))
    machine["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    report: dict[str, Any] = {
        **api.report_head("stress", machine, data, args),
        "capacity": {k.lower(): v for k, v in capacity.items()},
        "server": "uvicorn redbridge.app:create_app --factory --loop uvloop --http httptools --no-access-log "
                  "(1 process; SQLite WAL; embedded jobs; prod env)",
        "note_id": note_id,
        "bursts": bursts,
    }
    print_table(report)
    api.write_report(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
