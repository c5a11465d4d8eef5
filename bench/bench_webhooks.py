"""Webhooks under load: prints figures, asserts nothing.

    python bench/bench_webhooks.py [--bursts 500 2000] [--rate 800] [--seconds 10]

A real `python -m mockserver serve` process (pinned to one core) sends Pixazo webhooks to a
loopback sink in this process that answers 200. While it does, a poller reads one job's
status over and over; its p99 is set against the same poller's p99 on the idle server in the
same run (the baseline), so the ratio says what webhook load costs a client.

1. Bursts: N jobs submitted with X-Webhook-URL under the `realistic` profile, then the clock
   moved an hour through the admin API, so all N fall due at the same moment. Reports how
   many arrived, the time to drain, and the poll p99 meanwhile.
2. Steady: submits paced at R per second for S seconds under the `fast` profile (each job
   ends a second or two later, so webhooks go out while submits keep coming). Reports the
   rate achieved, how many webhooks arrived, the drain time after the last submit, and the
   poll p99 meanwhile.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _load
from bench_memory import PIXAZO, Sink
from bench_server import free_port, serve_mock, wait_ready

HEADERS = {"Ocp-Apim-Subscription-Key": "bench", "content-type": "application/json"}


class Poller:
    """Reads one status URL in a loop on its own thread, keeping each latency."""

    def __init__(self, url: str) -> None:
        self.url, self.latencies, self.errors = url, [], 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        with httpx.Client(headers=HEADERS, timeout=30) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                try:
                    ok = client.get(self.url).status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.latencies.append(time.perf_counter() - started)
                self.errors += not ok
                time.sleep(0.002)  # a client polling hard, not a load generator

    def p99_ms(self) -> float:
        return statistics.quantiles(self.latencies, n=100)[98] * 1000 if self.latencies else 0.0


def submit_all(port: int, hook: str, count: int, rate: float | None) -> float:
    """Submit `count` jobs with a webhook (paced at `rate` per second); answers the seconds.

    Raw keep-alive connections (`_load`): an HTTP client library in this process would
    be the bottleneck long before the server is.
    """
    headers = {**HEADERS, "X-Webhook-URL": hook}
    body = json.dumps({"prompt": "a lighthouse"}).encode()
    raw = _load.request_bytes("POST", PIXAZO, f"127.0.0.1:{port}", headers, body)
    result = _load.run("127.0.0.1", port, [raw] * count, connections=32, rate=rate)
    if result.statuses != {202: count}:
        raise RuntimeError(f"submits answered {result.statuses}")
    return result.seconds


def sink_url(sink: Sink) -> str:
    return f"http://127.0.0.1:{sink.port}/hook"


def drained(sink: Sink, count: int, timeout: float) -> float:
    started = time.perf_counter()
    while sink.count < count and time.perf_counter() - started < timeout:
        time.sleep(0.01)
    return time.perf_counter() - started


def baseline(status_url: str, seconds: float = 3.0) -> float:
    with Poller(status_url) as poller:
        time.sleep(seconds)
    return poller.p99_ms()


def burst(port: int, status_url: str, count: int) -> dict[str, float]:
    sink, origin = Sink(), f"http://127.0.0.1:{port}"
    httpx.put(origin + "/__mock/profile", json={"profile": "realistic"})
    submit_all(port, sink_url(sink), count, rate=None)
    idle = baseline(status_url)
    with Poller(status_url) as poller:
        time.sleep(0.2)
        httpx.post(origin + "/__mock/clock/advance", json={"seconds": 3600})
        seconds = drained(sink, count, timeout=120)
    queue = httpx.get(origin + "/__mock/webhooks?job_id=none").json()["queue"]
    return {
        "due at once": count,
        "delivered": sink.count,
        "drain s": seconds,
        "poll p99 ms": poller.p99_ms(),
        "idle p99 ms": idle,
        "p99 ratio": poller.p99_ms() / idle,
        "poll errors": poller.errors,
        "left in queue": queue["due"] + queue["in_flight"] + queue["scheduled"],
    }


def steady(port: int, status_url: str, rate: float, seconds: float) -> dict[str, float]:
    sink, origin = Sink(), f"http://127.0.0.1:{port}"
    count = int(rate * seconds)
    httpx.put(origin + "/__mock/profile", json={"profile": "fast"})
    idle = baseline(status_url)
    with Poller(status_url) as poller:
        took = submit_all(port, sink_url(sink), count, rate=rate)
        after = drained(sink, count, timeout=120)
    return {
        "submits": count,
        "submits/s": count / took,
        "delivered": sink.count,
        "drain s after last submit": after,
        "poll p99 ms": poller.p99_ms(),
        "idle p99 ms": idle,
        "p99 ratio": poller.p99_ms() / idle,
        "poll errors": poller.errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=int, nargs="*", default=[500, 2000])
    parser.add_argument("--rate", type=float, default=800.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures: dict[str, dict[str, float]] = {}
    for label, run in [
        *((f"burst {n}", lambda p, s, n=n: burst(p, s, n)) for n in args.bursts),
        (f"steady {args.rate:.0f}/s", lambda p, s: steady(p, s, args.rate, args.seconds)),
    ]:
        port = free_port()
        server = serve_mock(port, profile="stuck")
        origin = f"http://127.0.0.1:{port}"
        try:
            wait_ready(origin + "/__mock/health")
            # The polled job never ends, so its reads cost the same through the run.
            job = httpx.post(origin + PIXAZO, json={"prompt": "poll me"}, headers=HEADERS).json()
            figures[label] = run(port, job["polling_url"])
        finally:
            server.terminate()
            server.wait()
        print(label, json.dumps({k: round(v, 3) for k, v in figures[label].items()}), flush=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
