"""Reads at scale: prints figures, asserts nothing.

    python bench/bench_scale.py [--sizes 1000 10000 100000] [--rules 1 1000 10000]
                                [--seconds 2] [--rounds 3]

For each size N, a `python -m mockserver serve` process (pinned to one core) is filled with N
Segmind jobs (a quarter each QUEUED, PROCESSING, COMPLETED and FAILED, all held: the record
lives an hour). With every size's server up at once, each is loaded in turn by wrk (or the
built-in generator) from the other core, in interleaved rounds (the best of each counts):

- a status poll of one job in each of the four states, and a submit;
- the server's RSS once filled, and what each job held costs beyond the first size's.

Throughput at each size is set against the first size's in the same run (the baseline), so
the ratio says what holding more jobs costs a read.

Then, for each count R of scenario rules queued (each for another key, as a suite that
queues rules per test leaves them), a PROCESSING job's status poll and a submit, against
the first count's: what holding rules costs a request that none of them matches (a server
per count, all up at once and measured in interleaved rounds in the same way).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _load
from bench_server import free_port, rss_mb, spawn, throughput, wait_ready

SEGMIND = "/segmind/v2/grok-imagine-image"
HEADERS = {"x-api-key": "bench", "content-type": "application/json"}
# QUEUED and PROCESSING jobs stay so for a day: each is a profile whose durations say so.
CONFIG = """
profile = "instant"
[durations.segmind]
realistic = [86400, 1]
fast = [0, 86400]
"""
KINDS = {
    "QUEUED": {"X-Mock-Profile": "realistic"},
    "PROCESSING": {"X-Mock-Profile": "fast"},
    "COMPLETED": {},
    "FAILED": {"X-Mock-Scenario": "job-failed"},
}


def fill(port: int, count: int) -> float:
    """Submit `count` jobs, a quarter of each kind; answers the seconds it took."""
    body = json.dumps({"prompt": "a lighthouse", "resolution": "1k"}).encode()
    host = f"127.0.0.1:{port}"
    kinds = list(KINDS.values())
    requests = [
        _load.request_bytes("POST", SEGMIND, host, {**HEADERS, **kinds[n % 4]}, body)
        for n in range(count)
    ]
    result = _load.run("127.0.0.1", port, requests, connections=16)
    if set(result.statuses) != {200}:
        raise RuntimeError(f"the fill got {result.statuses}")
    return result.seconds


def one_of_each(origin: str) -> dict[str, str]:
    urls = {}
    for status, headers in KINDS.items():
        job = httpx.post(origin + SEGMIND, json={"prompt": "x"}, headers={**HEADERS, **headers})
        url = job.json()["status_url"]
        seen = httpx.get(url, headers=HEADERS).json()["status"]
        if seen != status:
            raise RuntimeError(f"a {status} job reads {seen}")
        urls[status] = url
    return urls


def scale_server(count: int, config: Path) -> tuple[subprocess.Popen[bytes], str, dict[str, float]]:
    """A server filled with `count` jobs; answers it, its origin and the fill's figures."""
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    server = spawn(
        [sys.executable, "-m", "mockserver", "serve", "--port", str(port), "--config", str(config)]
    )
    try:
        wait_ready(origin + "/__mock/health")
        figures = {"fill s": fill(port, count)}
        time.sleep(0.5)
        figures["rss MB"] = rss_mb(server.pid)
    except BaseException:
        server.terminate()
        raise
    return server, origin, figures


def measure_sizes(
    sizes: list[int], seconds: int, connections: int, rounds: int, config: Path
) -> dict[int, dict[str, float]]:
    """Every size's server up at once, measured in interleaved rounds (best of each), so
    machine noise falls on all of them alike."""
    servers: dict[int, tuple[subprocess.Popen[bytes], str, dict[str, float]]] = {}
    try:
        for size in sizes:
            servers[size] = scale_server(size, config)
        urls = {size: one_of_each(origin) for size, (_, origin, _) in servers.items()}
        body = json.dumps({"prompt": "a lighthouse"}).encode()

        def best(figures: dict[str, float], name: str, rate: float) -> None:
            figures[name] = max(figures.get(name, 0.0), rate)

        for _ in range(rounds):
            for size, (_, _, figures) in servers.items():
                for status, url in urls[size].items():
                    # Segmind answers a FAILED job's status with 422.
                    failed = status == "FAILED"
                    rate = throughput(url, seconds, connections, HEADERS, errors=failed)
                    best(figures, f"{status} poll/s", rate)
        # Submits last: each round adds thousands of jobs to every size.
        for _ in range(rounds):
            for _, origin, figures in servers.values():
                rate = throughput(origin + SEGMIND, seconds, connections, HEADERS, body)
                best(figures, "submit/s", rate)
        return {size: figures for size, (_, _, figures) in servers.items()}
    finally:
        for server, _, _ in servers.values():
            server.terminate()
            server.wait()


def rules_server(count: int) -> tuple[subprocess.Popen[bytes], str, str]:
    """A server holding `count` rules, each for another key; answers it, a PROCESSING
    job's status URL and the submit URL."""
    port = free_port()
    origin, host = f"http://127.0.0.1:{port}", f"127.0.0.1:{port}"
    server = spawn([sys.executable, "-m", "mockserver", "serve", "--port", str(port)])
    wait_ready(origin + "/__mock/health")
    queue = [
        _load.request_bytes(
            "POST",
            "/__mock/scenarios",
            host,
            {"content-type": "application/json"},
            json.dumps({"scenario": "job-failed", "key": f"other-{n}"}).encode(),
        )
        for n in range(count)
    ]
    if queue and set(_load.run("127.0.0.1", port, queue, connections=16).statuses) != {201}:
        raise RuntimeError("queuing the rules failed")
    headers = {**HEADERS, "X-Mock-Profile": "stuck"}
    job = httpx.post(origin + SEGMIND, json={"prompt": "x"}, headers=headers).json()
    return server, job["status_url"], origin + SEGMIND


def measure_rules(
    counts: list[int], seconds: int, connections: int, rounds: int
) -> dict[int, dict[str, float]]:
    """Every count's server up at once, measured in interleaved rounds (best of each), so
    machine noise falls on all of them alike."""
    servers = {count: rules_server(count) for count in counts}
    body = json.dumps({"prompt": "a lighthouse"}).encode()
    submit_headers = {**HEADERS, "X-Mock-Profile": "stuck"}
    figures = {count: {"poll/s": 0.0, "submit/s": 0.0} for count in counts}
    try:
        for _ in range(rounds):
            for count, (_, poll, submit) in servers.items():
                best = figures[count]
                best["poll/s"] = max(
                    best["poll/s"], throughput(poll, seconds, connections, HEADERS)
                )
                rate = throughput(submit, seconds, connections, submit_headers, body)
                best["submit/s"] = max(best["submit/s"], rate)
        return figures
    finally:
        for server, _, _ in servers.values():
            server.terminate()
            server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10_000, 100_000])
    parser.add_argument("--rules", type=int, nargs="*", default=[1, 1000, 10_000])
    parser.add_argument("--seconds", type=int, default=2, help="seconds per round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per case")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as config:
        config.write(CONFIG)
    try:
        results = measure_sizes(
            args.sizes, args.seconds, args.connections, args.rounds, Path(config.name)
        )
    finally:
        Path(config.name).unlink()
    for size in args.sizes:
        base = results[args.sizes[0]]
        ratios = {k: round(v / base[k], 2) for k, v in results[size].items() if k.endswith("/s")}
        if size != args.sizes[0]:
            held = (results[size]["rss MB"] - base["rss MB"]) * 1024 * 1024
            ratios["bytes per job beyond the first size"] = round(held / (size - args.sizes[0]))
        shown = {k: round(v, 1) for k, v in results[size].items()}
        print(size, "jobs", json.dumps(shown), "vs first size", json.dumps(ratios), flush=True)
    by_rules = (
        measure_rules(args.rules, args.seconds, args.connections, args.rounds) if args.rules else {}
    )
    for count in args.rules:
        base = by_rules[args.rules[0]]
        ratios = {k: round(v / base[k], 2) for k, v in by_rules[count].items()}
        shown = {k: round(v, 1) for k, v in by_rules[count].items()}
        print(count, "rules", json.dumps(shown), "vs first count", json.dumps(ratios), flush=True)
    if args.json:
        figures = {"jobs": results, "rules": by_rules}
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
