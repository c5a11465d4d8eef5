"""What the Redis state store costs, and what workers buy: prints figures, asserts nothing.

    python bench/bench_state.py [--seconds 5] [--connections 32]

A real `redis-server` on a free loopback port (Debian's package), and for each setup a
fresh `python -m mockserver serve`, loaded by wrk from its own core (or the built-in
generator):

1. the memory store (the default, one process): the baseline;
2. the Redis store, one worker;
3. the Redis store, two workers on the one port.

For each: a Segmind status poll of a job that never ends, and a submit, as requests per
second and p99 latency. Ratios are against the memory store in the same run. On this
2-core machine wrk takes one core, so two workers share the other: what workers buy
shows on a machine with cores to spare.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_server import free_port, pinned, wait_ready, wrk_output

HEADERS = {"x-api-key": "bench", "content-type": "application/json"}
SUBMIT = "/segmind/v2/grok-imagine-image"


def start_redis() -> tuple[subprocess.Popen[bytes], str]:
    if shutil.which("redis-server") is None:
        sys.exit("bench_state needs redis-server (apt-get install -y redis-server)")
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.02)
    sys.exit("redis-server did not start")


def wrk(url: str, seconds: int, connections: int, body: bytes | None) -> tuple[float, float]:
    """(requests per second, p99 ms) by wrk."""
    out = wrk_output(url, seconds, connections, HEADERS, body, "--latency")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    if rps is None or p99 is None or "Non-2xx" in out:
        raise RuntimeError(f"wrk did not report clean answers for {url}:\n{out}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return float(rps.group(1)), float(p99.group(1)) * scale


def measure(extra: list[str], seconds: int, connections: int) -> dict[str, float]:
    port = free_port()
    command = [sys.executable, "-m", "mockserver", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*pinned(1), *command, "--profile", "stuck", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    origin = f"http://127.0.0.1:{port}"
    try:
        wait_ready(origin + "/__mock/health")
        job = httpx.post(origin + SUBMIT, json={"prompt": "poll me"}, headers=HEADERS).json()
        body = json.dumps({"prompt": "a lighthouse"}).encode()
        poll_rps, poll_p99 = wrk(job["status_url"], seconds, connections, None)
        submit_rps, submit_p99 = wrk(origin + SUBMIT, seconds, connections, body)
        return {
            "poll/s": poll_rps,
            "poll p99 ms": poll_p99,
            "submit/s": submit_rps,
            "submit p99 ms": submit_p99,
        }
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench_state needs wrk (apt-get install -y wrk)")
    redis_process, url = start_redis()
    figures: dict[str, dict[str, float]] = {}
    try:
        setups = {
            "memory store": [],
            "redis, 1 worker": ["--state", url, "--state-namespace", "bench-1"],
            "redis, 2 workers": ["--state", url, "--state-namespace", "bench-2", "--workers", "2"],
        }
        for name, extra in setups.items():
            figures[name] = measure(extra, args.seconds, args.connections)
            base = figures["memory store"]
            ratios = {
                k: round(v / base[k], 2) for k, v in figures[name].items() if k.endswith("/s")
            }
            shown = {k: round(v, 2) for k, v in figures[name].items()}
            print(f"{name:<18} {json.dumps(shown)} vs memory {json.dumps(ratios)}", flush=True)
    finally:
        redis_process.terminate()
        redis_process.wait()
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_state.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
