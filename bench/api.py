"""API benchmark: feed, note and ping throughput/latency side by side, and reads during a signup storm.

    python bench/api.py [--notes 100000 --users 10000 --concurrency 32 --duration 10 \
                         --out bench/results/api.json]

What it does (docs/benchmarks.md has the reasoning and the figures):

1. Builds the demo community at the requested scale on SQLite with ``redbridge demo --no-images``
   (text notes: this benchmark is about the feed / query path, not serving pictures) and caches it
   in ``var/bench-<notes>-<users>/``; every run starts from a fresh copy of that database.
2. Starts the real server as a subprocess (uvicorn, uvloop, httptools, one process, no access log,
   embedded jobs, default argon2 parameters, generous rate limits) on a free port of 127.0.0.1.
3. Logs in a few demo users, then drives each scenario with an in-process asyncio load generator
   (HTTP/1.1 keep-alive, one connection per worker, ``--concurrency`` closed-loop workers, warm-up,
   then a fixed duration cut into interleaved rounds): ping (the framework's ceiling), explore
   page 1, explore page 2, a note page, the following feed. Each is reported as a ratio to the
   ceiling. ``--client raw`` (default) is a minimal HTTP/1.1 client on uvloop; ``--client
   httpx`` uses httpx.AsyncClient, which costs several times more CPU per request than the
   server's ping and so measures the generator rather than the framework on a shared machine.
4. Signup storm: feed-read p99 with the server otherwise idle, then while ``--signups`` signups
   (real argon2id, 64 MiB) are in flight at once.

The load generator runs on the same cores as the server, so absolute figures are lower than on a
separate client machine; the ceiling is measured under exactly the same conditions, which is what
makes the ratios fair. Server and generator CPU time per request are recorded too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import platform
import random
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
import uvloop

from redbridge.demo.seed import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # never anything else: this tool only ever loads a server it started itself
LOGIN_USERS = 8
POPULAR_NOTES = 500
MAX_REQUESTS_PER_SCENARIO = 500_000
REQUEST_TIMEOUT_S = 30.0
STORM_TIMEOUT_S = 600.0
TARGET_EXPLORE_RATIO = 0.5
TARGET_EXPLORE_P99_MS = 50.0
TARGET_STORM_FACTOR = 3.0

Request = tuple[str, dict[str, str]]  # path, headers
Picker = Callable[[random.Random], Request]


# ---------------------------------------------------------------------------------------------
# Data set


def _sqlite_count(db_path: Path, sql: str) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
        return int(conn.execute(sql).fetchone()[0])


def prepare_data(notes: int, users: int, cache_root: Path, fresh: bool) -> tuple[Path, dict[str, Any]]:
    """The seeded database for this scale (built once, then reused), copied to a run directory."""
    cache = cache_root / f"bench-{notes}-{users}"
    marker = cache / "seeded.json"
    if fresh and cache.exists():
        shutil.rmtree(cache)
    reused = marker.exists()
    if not reused:
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True)
        print(f"seeding {notes} notes / {users} users into {cache} (once; reused by later runs)...", flush=True)
        started = time.perf_counter()
        env = _server_env(cache)
        subprocess.run(
            [sys.executable, "-m", "redbridge.cli", "demo", "--no-serve", "--no-images",
             "--users", str(users), "--notes", str(notes)],
            check=True, env=env, cwd=ROOT,
        )
        db_path = cache / "redbridge.db"
        # Fold the WAL into the main file so the cached copy is one self-contained file.
        with contextlib.closing(sqlite3.connect(db_path)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        marker.write_text(json.dumps({"notes": notes, "users": users, "seed_s": round(time.perf_counter() - started, 1)}))
    info = json.loads(marker.read_text())
    info["reused"] = reused
    run = cache_root / f"bench-run-{notes}-{users}"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    shutil.copy2(cache / "redbridge.db", run / "redbridge.db")
    info["db_bytes"] = (run / "redbridge.db").stat().st_size
    info["rows"] = {t: _sqlite_count(run / "redbridge.db", f"SELECT count(*) FROM {t}")
                    for t in ("users", "notes", "follows", "likes", "collects", "comments")}
    return run, info


def pick_fixtures(db_path: Path, seed: int) -> tuple[list[str], list[int]]:
    """Demo usernames to log in as (they follow 10-30 people each) and the most-liked note ids."""
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
        names = [r[0] for r in conn.execute("SELECT username FROM users ORDER BY id")]
        popular = [int(r[0]) for r in conn.execute("SELECT id FROM notes ORDER BY like_count DESC LIMIT ?",
                                                   (POPULAR_NOTES,))]
    rng = random.Random(seed)
    return rng.sample(names, min(LOGIN_USERS, len(names))), popular


# ---------------------------------------------------------------------------------------------
# Server


def _server_env(var_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The server's environment: this one without REDBRIDGE_ settings, then the benchmark's
    (``extra`` last: other benchmarks reuse :func:`running_server` with their own knobs)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDBRIDGE_")}
    big = "[1000000,3600]"
    env.update({
        "REDBRIDGE_VAR_DIR": str(var_dir),
        "REDBRIDGE_JOBS_MODE": "embedded",
        "REDBRIDGE_ENV": "prod",
        "REDBRIDGE_RATE_LIMITS__SIGNUP_PER_IP": big,
        "REDBRIDGE_RATE_LIMITS__LOGIN_PER_IP": big,
        "REDBRIDGE_RATE_LIMITS__LOGIN_PER_ACCOUNT": big,
        **(extra or {}),
    })
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_server(var_dir: Path, port: int,
                   extra_env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    log = (var_dir / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "redbridge.app:create_app", "--factory", "--host", HOST,
         "--port", str(port), "--loop", "uvloop", "--http", "httptools", "--no-access-log",
         "--log-level", "warning"],
        env=_server_env(var_dir, extra_env), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}; see {var_dir / 'server.log'}")
            try:
                if httpx.get(f"http://{HOST}:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not healthy after 60 s; see {var_dir / 'server.log'}")
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------------
# Load generation


@dataclass
class Result:
    name: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    ratio_to_ceiling: float | None = None
    server_cpu_ms_per_req: float = 0.0
    client_cpu_ms_per_req: float = 0.0
    error_samples: list[str] = field(default_factory=list)


def percentile(sorted_ms: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_ms:
        return 0.0
    rank = max(1, min(len(sorted_ms), int(-(-q * len(sorted_ms) // 100))))
    return sorted_ms[rank - 1]


def summarise(name: str, latencies: list[float], errors: int, samples: list[str], seconds: float,
              server_cpu: float, client_cpu: float) -> Result:
    lat = sorted(latencies)
    done = len(lat) + errors
    return Result(
        name=name, requests=done, errors=errors, seconds=round(seconds, 3),
        rps=round(done / seconds, 1) if seconds else 0.0,
        p50_ms=round(percentile(lat, 50), 2), p90_ms=round(percentile(lat, 90), 2),
        p99_ms=round(percentile(lat, 99), 2), max_ms=round(lat[-1], 2) if lat else 0.0,
        server_cpu_ms_per_req=round(1000 * server_cpu / done, 3) if done else 0.0,
        client_cpu_ms_per_req=round(1000 * client_cpu / done, 3) if done else 0.0,
        error_samples=samples[:5],
    )


class Recorder:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0
        self.samples: list[str] = []
        self.active = True

    def add(self, ms: float, status: int, body: bytes | str) -> None:
        """One answered request (status 0: none came; ``body`` then says why)."""
        if not self.active:
            return
        if 200 <= status < 300:
            self.latencies.append(ms)
        else:
            self.errors += 1
            if len(self.samples) < 5:
                text = body if isinstance(body, str) else body[:200].decode("utf-8", "replace")
                self.samples.append(f"{status} {text}")


class Connection(Protocol):
    async def get(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]: ...
    async def close(self) -> None: ...


class Client(Protocol):
    async def connect(self) -> Connection: ...


class RawConnection:
    """One keep-alive HTTP/1.1 connection sending GETs: status line and Content-Length (or chunked)
    parsing and nothing else, so the generator's CPU stays far below the server's per request."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self.reader, self.writer

    async def get(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        reader, writer = await self._open()
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{extra}\r\n".encode())
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length, chunked, close = None, False, False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
                elif name == b"connection" and b"close" in value.lower():
                    close = True
            if chunked:
                body = b""
                while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                    body += (await reader.readexactly(size + 2))[:-2]
                await reader.readuntil(b"\r\n")
            else:
                body = await reader.readexactly(length or 0)
        except BaseException:
            await self.close()
            raise
        if close:
            await self.close()
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


class RawClient:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    async def connect(self) -> Connection:
        return RawConnection(self.host, self.port)


class HttpxConnection:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def get(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        response = await self.client.get(path, headers=headers)
        return response.status_code, response.content

    async def close(self) -> None:
        return None


class HttpxClient:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def connect(self) -> Connection:
        return HttpxConnection(self.client)


async def closed_loop(client: Client, pick: Picker, recorder: Recorder, workers: int, until: float, seed: int,
                      stop: Callable[[], bool] = lambda: False) -> None:
    """``workers`` clients, each sending its next request as soon as the last one answered, until
    ``until`` (monotonic), ``stop()`` or MAX_REQUESTS_PER_SCENARIO requests in all."""
    budget = [MAX_REQUESTS_PER_SCENARIO]

    async def worker(k: int) -> None:
        rng = random.Random(seed * 1000 + k)
        conn = await client.connect()
        try:
            while time.monotonic() < until and budget[0] > 0 and not stop():
                budget[0] -= 1
                path, headers = pick(rng)
                start = time.perf_counter()
                try:
                    status, body = await conn.get(path, headers)
                except (OSError, EOFError, ValueError, asyncio.IncompleteReadError, httpx.HTTPError) as exc:
                    recorder.add((time.perf_counter() - start) * 1000, 0, f"{type(exc).__name__}: {exc}")
                    continue
                recorder.add((time.perf_counter() - start) * 1000, status, body)
        finally:
            await conn.close()

    await asyncio.gather(*(worker(k) for k in range(workers)))


@dataclass
class Tally:
    """A scenario's measurements, accumulated over its slices."""

    recorder: Recorder = field(default_factory=Recorder)
    seconds: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    slice_rps: list[float] = field(default_factory=list)

    def result(self, name: str) -> Result:
        return summarise(name, self.recorder.latencies, self.recorder.errors, self.recorder.samples, self.seconds,
                         self.server_cpu, self.client_cpu)


async def measure_slice(client: Client, server_pid: int, pick: Picker, tally: Tally, *, workers: int,
                        duration: float, seed: int) -> None:
    before = len(tally.recorder.latencies) + tally.recorder.errors
    server0, client0, t0 = cpu_seconds(server_pid), time.process_time(), time.perf_counter()
    await closed_loop(client, pick, tally.recorder, workers, time.monotonic() + duration, seed)
    seconds = time.perf_counter() - t0
    tally.seconds += seconds
    tally.server_cpu += cpu_seconds(server_pid) - server0
    tally.client_cpu += time.process_time() - client0
    tally.slice_rps.append(round((len(tally.recorder.latencies) + tally.recorder.errors - before) / seconds, 1))


async def measure(client: Client, server_pid: int, name: str, pick: Picker, *, workers: int,
                  duration: float, warmup: float, seed: int) -> Result:
    """One scenario on its own: warm-up, then ``duration`` seconds measured."""
    await closed_loop(client, pick, Recorder(), workers, time.monotonic() + warmup, seed)
    tally = Tally()
    await measure_slice(client, server_pid, pick, tally, workers=workers, duration=duration, seed=seed + 1)
    result = tally.result(name)
    report_line(result)
    return result


def report_line(result: Result) -> None:
    print(f"  {result.name:<14} {result.rps:>8.1f} req/s  p50 {result.p50_ms:>7.2f}  p99 {result.p99_ms:>7.2f} ms"
          f"  errors {result.errors}", flush=True)


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/login", json={"username": username, "password": password})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def signup_storm(base_url: str, n: int, tag: str) -> tuple[list[float], int, list[str], float]:
    """``n`` signups at once on their own connections; latencies (ms), failures, samples, wall time."""
    latencies: list[float] = []
    failures: list[str] = []
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=STORM_TIMEOUT_S) as client:

        async def one(i: int) -> None:
            body = {"username": f"s{tag}_{i}", "password": f"storm-{secrets.token_hex(8)}"}
            start = time.perf_counter()
            try:
                response = await client.post("/api/v1/auth/signup", json=body)
            except httpx.HTTPError as exc:
                failures.append(f"{type(exc).__name__}: {exc}")
                return
            if response.status_code == 201:
                latencies.append((time.perf_counter() - start) * 1000)
            else:
                failures.append(f"{response.status_code} {response.text[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return latencies, len(failures), failures[:5], time.perf_counter() - started


async def storm_scenario(client: Client, base_url: str, server_pid: int, read: Picker, *,
                         readers: int, duration: float, warmup: float, signups: int, seed: int) -> dict[str, Any]:
    idle = await measure(client, server_pid, "reads idle", read, workers=readers, duration=duration,
                         warmup=warmup, seed=seed)
    recorder = Recorder()
    stop = [False]
    # Readers run until the last signup has answered (bounded by the storm timeout).
    reader_task = asyncio.create_task(closed_loop(client, read, recorder, readers,
                                                  time.monotonic() + STORM_TIMEOUT_S, seed + 7, lambda: stop[0]))
    await asyncio.sleep(0.5)  # readers are in full swing before the storm starts
    server0, t0 = cpu_seconds(server_pid), time.perf_counter()
    recorder.latencies.clear()
    recorder.errors = 0
    tag = datetime.now(UTC).strftime("%H%M%S") + secrets.token_hex(2)
    try:
        signup_ms, failed, failure_samples, wall = await asyncio.wait_for(
            signup_storm(base_url, signups, tag), STORM_TIMEOUT_S)
    finally:
        recorder.active = False
        stop[0] = True
        await reader_task
    # Its server CPU per request includes the hashing, which runs in the same process.
    during = summarise("reads during storm", recorder.latencies, recorder.errors, recorder.samples,
                       time.perf_counter() - t0, cpu_seconds(server_pid) - server0, 0.0)
    signup_sorted = sorted(signup_ms)
    ratio = during.p99_ms / idle.p99_ms if idle.p99_ms else None
    print(f"  {'storm reads':<14} {during.rps:>8.1f} req/s  p50 {during.p50_ms:>7.2f}  p99 {during.p99_ms:>7.2f} ms"
          f"  ({ratio:.2f}x idle p99; {signups} signups in {wall:.1f} s, {failed} failed)", flush=True)
    return {
        "readers": readers,
        "signups": signups,
        "signups_failed": failed,
        "signup_failure_samples": failure_samples,
        "storm_seconds": round(wall, 2),
        "signup_p50_ms": round(percentile(signup_sorted, 50), 1),
        "signup_p99_ms": round(percentile(signup_sorted, 99), 1),
        "reads_idle": asdict(idle),
        "reads_during_storm": asdict(during),
        "p99_ratio_to_idle": round(ratio, 3) if ratio is not None else None,
    }


async def run_load(port: int, server_pid: int, usernames: list[str], popular: list[int],
                   args: argparse.Namespace) -> dict[str, Any]:
    base_url = f"http://{HOST}:{port}"
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=REQUEST_TIMEOUT_S) as http:
        client: Client = RawClient(HOST, port) if args.client == "raw" else HttpxClient(http)
        tokens = [await login(http, name, DEMO_PASSWORD) for name in usernames]
        cursors: list[tuple[dict[str, str], str]] = []

        def user(rng: random.Random) -> dict[str, str]:
            return tokens[int(rng.random() * len(tokens))]

        def ping(_rng: random.Random) -> Request:
            return "/api/v1/ping", {}

        def explore1(rng: random.Random) -> Request:
            return "/api/v1/feeds/explore", user(rng)

        def explore_anon(rng: random.Random) -> Request:
            # A visitor who is not logged in, in either UI language.
            return "/api/v1/feeds/explore", {"Accept-Language": "zh-CN" if rng.random() < 0.5 else "en-US"}

        def explore2(rng: random.Random) -> Request:
            headers, cursor = cursors[int(rng.random() * len(cursors))]
            return f"/api/v1/feeds/explore?cursor={cursor}", headers

        def note(rng: random.Random) -> Request:
            return f"/api/v1/notes/{popular[int(rng.random() * len(popular))]}", user(rng)

        def following(rng: random.Random) -> Request:
            return "/api/v1/feeds/following", user(rng)

        def feed_read(rng: random.Random) -> Request:
            return explore1(rng) if rng.random() < 0.5 else following(rng)

        async def refresh_cursors() -> None:
            # Page-2 cursors name the current explore pool; take them right before that scenario.
            cursors.clear()
            for headers in tokens:
                response = await http.get("/api/v1/feeds/explore", headers=headers)
                response.raise_for_status()
                cursor = response.json()["next_cursor"]
                if cursor:
                    cursors.append((headers, cursor))
            if not cursors:
                raise RuntimeError("explore returned no next_cursor: is the data set too small?")

        gc.collect()
        gc.freeze()  # the generator's own set-up garbage must not pause it mid-measurement
        scenarios: list[tuple[str, Picker, Callable[[], Awaitable[None]] | None]] = [
            ("ping", ping, None),
            ("explore_page1", explore1, None),
            ("explore_anonymous", explore_anon, None),
            ("explore_page2", explore2, refresh_cursors),
            ("note", note, None),
            ("following", following, None),
        ]
        print(f"load: {args.concurrency} concurrent clients; {args.warmup:g} s warm-up, then {args.duration:g} s "
              f"per scenario in {args.rounds} interleaved rounds", flush=True)
        for i, (_name, pick, before) in enumerate(scenarios):
            if before is not None:
                await before()
            await closed_loop(client, pick, Recorder(), args.concurrency, time.monotonic() + args.warmup,
                              args.seed + i)
        # Round-robin slices: a change in background load on a shared machine hits every scenario
        # alike instead of whichever happened to be running, so the ratios stay side by side.
        tallies = {name: Tally() for name, _, _ in scenarios}
        for r in range(args.rounds):
            for i, (name, pick, before) in enumerate(scenarios):
                if before is not None:
                    await before()
                await measure_slice(client, server_pid, pick, tallies[name], workers=args.concurrency,
                                    duration=args.duration / args.rounds, seed=args.seed + 1000 * r + 10 * i)
            print(f"  round {r + 1}/{args.rounds}: " + ", ".join(
                f"{name} {t.slice_rps[-1]:.0f}/s" for name, t in tallies.items()), flush=True)
        results = {name: t.result(name) for name, t in tallies.items()}
        ceiling = results["ping"].rps
        for result in results.values():
            result.ratio_to_ceiling = round(result.rps / ceiling, 3) if ceiling else None
        slices = {name: t.slice_rps for name, t in tallies.items()}

        storm: dict[str, Any] | None = None
        if not args.no_storm:
            print(f"signup storm: {args.signups} signups at once, {args.storm_readers} concurrent feed readers",
                  flush=True)
            storm = await storm_scenario(client, base_url, server_pid, feed_read, readers=args.storm_readers,
                                         duration=args.duration, warmup=args.warmup, signups=args.signups,
                                         seed=args.seed + 100)
    return {"scenarios": {k: asdict(v) for k, v in results.items()}, "slice_rps": slices, "storm": storm}


# ---------------------------------------------------------------------------------------------
# Report


def machine_info() -> dict[str, Any]:
    def git(*argv: str) -> str:
        try:
            return subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "commit": git("rev-parse", "HEAD"),
        "worktree_dirty": bool(git("status", "--porcelain")),
        "loadavg_before": [round(x, 2) for x in os.getloadavg()],
        "load_generator": "in-process asyncio (uvloop) on the same cores as the server",
    }


def print_table(report: dict[str, Any]) -> None:
    scenarios = report["scenarios"]
    print()
    print(f"{'scenario':<16}{'req/s':>10}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'errors':>8}{'ratio':>8}"
          f"{'srv cpu ms':>12}")
    for name, r in scenarios.items():
        ratio = f"{r['ratio_to_ceiling']:.2f}" if r["ratio_to_ceiling"] is not None else "-"
        print(f"{name:<16}{r['rps']:>10.1f}{r['p50_ms']:>9.2f}{r['p90_ms']:>9.2f}{r['p99_ms']:>9.2f}"
              f"{r['errors']:>8}{ratio:>8}{r['server_cpu_ms_per_req']:>12.3f}")
    print("\nreq/s per round (drift of the shared machine): "
          + "; ".join(f"{k} {v}" for k, v in report["slice_rps"].items()))
    storm = report["storm"]
    if storm is not None:
        print(f"\nfeed reads p99: idle {storm['reads_idle']['p99_ms']:.2f} ms, during {storm['signups']} signups "
              f"{storm['reads_during_storm']['p99_ms']:.2f} ms ({storm['p99_ratio_to_idle']}x); "
              f"signups took {storm['storm_seconds']} s (signup p50 {storm['signup_p50_ms'] / 1000:.1f} s), "
              f"{storm['signups_failed']} failed")
    targets = report["targets"]
    print("\ntargets:")
    for name, t in targets.items():
        print(f"  {name:<28} {'met' if t['met'] else 'NOT met'}  (value {t['value']}, target {t['target']})")
    print(f"\nmachine: {report['machine']['nproc']} cores, Python {report['machine']['python']}, "
          f"SQLite {report['machine']['sqlite']}, load average before {report['machine']['loadavg_before']}; "
          "load generator on the same cores")


def targets(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    explore = report["scenarios"]["explore_page1"]
    storm = report["storm"]
    errors = sum(s["errors"] for s in report["scenarios"].values())
    result: dict[str, dict[str, Any]] = {
        "explore ratio to ceiling": {"value": explore["ratio_to_ceiling"], "target": f">= {TARGET_EXPLORE_RATIO}",
                                     "met": (explore["ratio_to_ceiling"] or 0) >= TARGET_EXPLORE_RATIO},
        "explore p99 ms": {"value": explore["p99_ms"], "target": f"<= {TARGET_EXPLORE_P99_MS}",
                           "met": explore["p99_ms"] <= TARGET_EXPLORE_P99_MS},
    }
    if storm is not None:
        ratio = storm["p99_ratio_to_idle"]
        errors += storm["reads_idle"]["errors"] + storm["reads_during_storm"]["errors"] + storm["signups_failed"]
        result["storm p99 / idle p99"] = {"value": ratio, "target": f"<= {TARGET_STORM_FACTOR}",
                                          "met": ratio is not None and ratio <= TARGET_STORM_FACTOR}
    result["no errors"] = {"value": errors, "target": "0", "met": errors == 0}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--notes", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per scenario")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load first")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved slices each scenario's time is cut into")
    parser.add_argument("--signups", type=int, default=200)
    parser.add_argument("--no-storm", action="store_true", help="skip the signup storm")
    parser.add_argument("--storm-readers", type=int, default=8, help="concurrent feed readers in the storm")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw",
                        help="load generator's HTTP client (see the module docstring)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "var")
    parser.add_argument("--fresh", action="store_true", help="re-seed even if a cached data set exists")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "api.json")
    args = parser.parse_args(argv)
    if min(args.notes, args.users, args.concurrency, args.signups, args.storm_readers, args.rounds) < 1 \
            or args.duration <= 0:
        parser.error("counts and durations must be positive")

    machine = machine_info()
    run_dir, data = prepare_data(args.notes, args.users, args.cache_dir, args.fresh)
    usernames, popular = pick_fixtures(run_dir / "redbridge.db", args.seed)
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    print(f"server: uvicorn (uvloop, httptools, 1 process) on {base_url}, data in {run_dir}", flush=True)
    with running_server(run_dir, port) as server:
        load = uvloop.run(run_load(port, server.pid, usernames, popular, args))
    machine["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    report: dict[str, Any] = {
        **report_head("api", machine, data, args),
        "server": "uvicorn redbridge.app:create_app --factory --loop uvloop --http httptools --no-access-log "
                  "(1 process; SQLite WAL; embedded jobs; default argon2id 64 MiB, t=3)",
        **load,
    }
    report["targets"] = targets(report)
    print_table(report)
    write_report(args.out, report)
    return 0


def report_head(name: str, machine: dict[str, Any], data: dict[str, Any], args: Any) -> dict[str, Any]:
    """What every server benchmark's report starts with: which, when, on what, with which options."""
    return {
        "benchmark": name,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "data": data,
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }


def write_report(path: Path, report: dict[str, Any]) -> None:
    """The JSON every benchmark leaves in bench/results/ (docs/benchmarks.md cites them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwrote {path}")


if __name__ == "__main__":
    sys.exit(main())
