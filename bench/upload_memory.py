"""Upload memory benchmark: server RSS during 12 concurrent worst-case image uploads, and after.

The security review's finding: one 154 KB PNG of 6300×6300 RGBA zeros cost ~520 MB, 12 at once
from one account peaked at 6.2 GB and the process stayed at 3.1 GB. This script:

1. Migrates a fresh SQLite database in a temporary var dir and starts the real server as a
   subprocess (uvicorn, one process, embedded jobs) on a free port of 127.0.0.1.
2. Samples every 20 ms the RSS of the server process *plus all its descendants* (the image
   worker processes and their forkserver), from /proc/<pid>/status (VmRSS; VmHWM of the server).
3. For each scenario, fires 12 concurrent uploads from one account and records the peak, then
   waits for the server to settle and records the RSS after:
   * ``reported_png_6300``: the review's file, 6300×6300 RGBA zeros (accepted: under both caps);
   * ``worst_accepted_png``: the largest RGBA zero PNG under ``media.max_decode_bytes`` and the pixel cap;
   * ``large_jpeg``: a 7200×5400 (38.9 MP) JPEG, under the 40 MP cap.
4. Prints the figures and writes JSON to ``bench/results/upload_memory.json``.

Target: peak ≤ 1.5 GB, back to baseline ± 100 MB afterwards. Summing RSS counts pages the
processes share (the forkserver's preloaded Pillow) once per process, so it overstates.

    python bench/upload_memory.py [--concurrency 12] [--out bench/results/upload_memory.json]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from redbridge.settings import MediaSettings

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api  # bench/api.py: the server

HOST = api.HOST
ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
SAMPLE_S = 0.02


# ---------------------------------------------------------------------------------------------
# Memory of a process tree, from /proc


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def tree_pids(root: int) -> list[int]:
    tree, out, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(tree.get(pid, ()))
    return out


def tree_rss(root: int) -> tuple[int, int]:
    """(bytes of RSS summed over the tree, number of processes)."""
    pids = tree_pids(root)
    return sum(_status_kb(pid, "VmRSS") for pid in pids) * 1024, len(pids)


class Sampler:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self.peak_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss, n = tree_rss(self.pid)
            if rss > self.peak:
                self.peak, self.peak_processes = rss, n
            self._stop.wait(SAMPLE_S)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


# ---------------------------------------------------------------------------------------------
# Files


def rgba_zero_png(side: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", (side, side)).save(buf, "PNG")
    return buf.getvalue()


def large_jpeg(width: int = 7200, height: int = 5400) -> bytes:
    # Smooth content keeps the file under the 20 MB upload cap; decoding cost depends on the
    # size, not on the content.
    gradient = Image.linear_gradient("L").resize((width, height))
    img = Image.merge("RGB", (gradient, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT), gradient))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# Server


free_port = api.free_port
UPLOAD_LIMITS = {"REDBRIDGE_RATE_LIMITS__UPLOAD_PER_ACCOUNT": "[1000000,3600]"}


@contextlib.contextmanager
def running_server(var_dir: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """bench/api.py's server (uvicorn, uvloop, httptools, prod settings) on a fresh database."""
    env = api._server_env(var_dir, UPLOAD_LIMITS)
    subprocess.run([sys.executable, "-m", "redbridge", "migrate"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    with api.running_server(var_dir, port, UPLOAD_LIMITS) as proc:
        yield proc


# ---------------------------------------------------------------------------------------------
# Scenarios


@dataclass
class Scenario:
    name: str
    file_bytes: int
    description: str
    statuses: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0
    before_mb: float = 0.0
    peak_mb: float = 0.0
    peak_processes: int = 0
    after_mb: float = 0.0
    after_processes: int = 0


def settle(pid: int, seconds: float = 4.0) -> tuple[int, int]:
    time.sleep(seconds)
    return tree_rss(pid)


def fire(base: str, headers: dict[str, str], data: bytes, name: str, n: int) -> Counter[str]:
    statuses: Counter[str] = Counter()
    lock = threading.Lock()

    def one() -> None:
        with httpx.Client(base_url=base, timeout=300) as client:
            response = client.post("/api/v1/media", headers=headers,
                                   files={"file": (name, data, "image/png" if name.endswith("png") else "image/jpeg")})
        key = str(response.status_code)
        if response.status_code >= 400:
            key += " " + str(response.json().get("error", {}).get("code"))
        with lock:
            statuses[key] += 1

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def run(concurrency: int) -> dict[str, Any]:
    media = MediaSettings()
    cap = media.max_decode_bytes
    worst_side = min(math.isqrt(cap // 4), math.isqrt(media.max_image_pixels))
    files = [
        ("reported_png_6300", rgba_zero_png(6300), "photo.png", "6300x6300 RGBA zeros (the review's file)"),
        ("worst_accepted_png", rgba_zero_png(worst_side), "photo.png",
         f"{worst_side}x{worst_side} RGBA zeros: the largest under max_decode_bytes={cap} and max_image_pixels"),
        ("large_jpeg", large_jpeg(), "photo.jpg", "7200x5400 RGB JPEG (38.9 MP)"),
    ]
    with tempfile.TemporaryDirectory(prefix="redbridge-bench-upload-") as tmp:
        var_dir = Path(tmp) / "var"
        var_dir.mkdir()
        port = free_port()
        base = f"http://{HOST}:{port}"
        with running_server(var_dir, port) as proc:
            signup = httpx.post(f"{base}/api/v1/auth/signup", timeout=60,
                                json={"username": "bench_up", "password": f"bench-{secrets.token_hex(8)}"})
            signup.raise_for_status()
            headers = {"Authorization": f"Bearer {signup.json()['token']}"}
            cold, cold_n = settle(proc.pid, 1.0)
            # One small upload starts the worker pool; the baseline is the warm, idle server.
            small = io.BytesIO()
            Image.new("RGB", (64, 48)).save(small, "PNG")
            fire(base, headers, small.getvalue(), "warm.png", 1)
            baseline, baseline_n = settle(proc.pid)
            print(f"server pid {proc.pid}: cold {cold / MB:.0f} MB ({cold_n} processes), "
                  f"warm baseline {baseline / MB:.0f} MB ({baseline_n} processes)", flush=True)
            results: list[Scenario] = []
            for name, data, filename, description in files:
                scenario = Scenario(name, len(data), description)
                scenario.before_mb = tree_rss(proc.pid)[0] / MB
                start = time.perf_counter()
                with Sampler(proc.pid) as sampler:
                    statuses = fire(base, headers, data, filename, concurrency)
                scenario.wall_s = round(time.perf_counter() - start, 2)
                scenario.statuses = dict(statuses)
                scenario.peak_mb = round(sampler.peak / MB, 1)
                scenario.peak_processes = sampler.peak_processes
                after, after_n = settle(proc.pid)
                scenario.after_mb, scenario.after_processes = round(after / MB, 1), after_n
                scenario.before_mb = round(scenario.before_mb, 1)
                results.append(scenario)
                print(f"  {name:<20} {len(data) / 1024:>8.0f} KB  x{concurrency}  {scenario.wall_s:>6.2f} s  "
                      f"peak {scenario.peak_mb:>7.1f} MB ({scenario.peak_processes} proc)  "
                      f"after {scenario.after_mb:>7.1f} MB  {dict(statuses)}", flush=True)
            hwm = _status_kb(proc.pid, "VmHWM") * 1024
    peak = max(s.peak_mb for s in results)
    worst_after = max(abs(s.after_mb - baseline / MB) for s in results)
    summary = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "command": "python bench/upload_memory.py" + (f" --concurrency {concurrency}" if concurrency != 12 else ""),
        "concurrency": concurrency,
        "settings": MediaSettings().model_dump(exclude={"ffmpeg", "ffprobe"}),
        "cold_mb": round(cold / MB, 1),
        "baseline_mb": round(baseline / MB, 1),
        "server_vmhwm_mb": round(hwm / MB, 1),
        "peak_mb": peak,
        "max_after_minus_baseline_mb": round(worst_after, 1),
        "target": {"peak_mb": 1536, "after_within_mb": 100},
        "meets_target": peak <= 1536 and worst_after <= 100,
        "scenarios": [asdict(s) for s in results],
    }
    print(f"peak {peak:.0f} MB (target <= 1536); after within {worst_after:.0f} MB of baseline (target <= 100); "
          f"server process VmHWM {hwm / MB:.0f} MB", flush=True)
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--concurrency", type=int, default=12)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "upload_memory.json")
    args = parser.parse_args()
    summary = run(args.concurrency)
    api.write_report(args.out, summary)
    return 0 if summary["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
