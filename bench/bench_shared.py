"""One emulator across processes, at scale: prints what it finds, asserts nothing.

    python bench/bench_shared.py [--jobs 10000]

A real `redis-server`, then three `python -m mockserver serve --state redis://...`: one with
two workers and two single processes, all one emulator. With a `times=3` job-failed rule
queued through one of them, N Pixazo jobs with webhooks are submitted to processes picked
at random, the clock is moved a minute through another, each job is polled once at a
random process, and a loopback sink counts the webhooks per job. Reports: jobs submitted,
ended, lost (never found), failed by the rule, charged (against what the account shows),
webhooks received and duplicated, and the time each phase took.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_memory import PIXAZO, Sink
from bench_server import free_port, wait_ready
from bench_state import start_redis

KEY = "shared-bench"
HEADERS = {"Ocp-Apim-Subscription-Key": KEY, "content-type": "application/json"}


def start(url: str, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "mockserver", "serve", "--port", str(port)]
    state = ["--state", url, "--state-namespace", "bench-shared", "--profile", "fast"]
    process = subprocess.Popen([*command, *state, *extra], stdout=subprocess.DEVNULL)
    origin = f"http://127.0.0.1:{port}"
    wait_ready(origin + "/__mock/health")
    return process, origin


async def run(origins: list[str], sink: Sink, jobs: int) -> dict[str, float]:
    rng = random.Random(7)
    hook = {**HEADERS, "X-Webhook-URL": f"http://127.0.0.1:{sink.port}/hook"}
    limits = httpx.Limits(max_connections=96)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        gate = asyncio.Semaphore(96)

        async def submit() -> str:
            async with gate:
                origin = rng.choice(origins)
                answer = await client.post(origin + PIXAZO, json={"prompt": "x"}, headers=hook)
                return str(answer.json()["request_id"])

        async def poll(job_id: str) -> str:
            async with gate:
                origin = rng.choice(origins)
                url = f"{origin}/pixazo/v2/requests/status/{job_id}"
                answer = await client.get(url, headers=HEADERS)
                return str(answer.json().get("status")) if answer.status_code == 200 else "LOST"

        started = time.perf_counter()
        ids = await asyncio.gather(*(submit() for _ in range(jobs)))
        submitted = time.perf_counter()
        await client.post(origins[-1] + "/__mock/clock/advance", json={"seconds": 60})
        statuses = await asyncio.gather(*(poll(job_id) for job_id in ids))
        polled = time.perf_counter()
    deadline = time.monotonic() + 120
    while sink.count < jobs and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    delivered = time.perf_counter()
    account = httpx.get(f"{origins[0]}/__mock/accounts/pixazo/{KEY}").json()
    completed = statuses.count("COMPLETED")
    assert sink.ids is not None
    return {
        "jobs": jobs,
        "distinct ids": len(set(ids)),
        "ended": sum(s in ("COMPLETED", "FAILED", "ERROR") for s in statuses),
        "lost": statuses.count("LOST"),
        "failed (times=3 rule)": statuses.count("FAILED"),
        "completed": completed,
        "held": float(Decimal(account["held"])),
        # Pixazo bills FAILED jobs as well as COMPLETED ones (its page).
        "spent": float(Decimal(account["spent"])),
        "spent per billed job": float(
            Decimal(account["spent"]) / max(completed + statuses.count("FAILED"), 1)
        ),
        "webhooks received": sink.count,
        "jobs with a webhook": len(sink.ids),
        "duplicated webhooks": sum(n - 1 for n in sink.ids.values() if n > 1),
        "submit s": submitted - started,
        "poll s": polled - submitted,
        "webhooks drained s after the polls": delivered - polled,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    args = parser.parse_args()
    redis_process, url = start_redis()
    servers = []
    try:
        servers = [start(url, "--workers", "2"), start(url), start(url)]
        origins = [origin for _, origin in servers]
        rule = {"scenario": "job-failed", "provider": "pixazo", "times": 3}
        httpx.post(origins[1] + "/__mock/scenarios", json=rule).raise_for_status()
        sink = Sink(keep_ids=True)
        figures = asyncio.run(run(origins, sink, args.jobs))
        for name, value in figures.items():
            print(
                f"{name:<38} {value:,.4g}" if isinstance(value, float) else f"{name:<38} {value:,}"
            )
        out = Path(__file__).resolve().parent / "results"
        out.mkdir(exist_ok=True)
        (out / "bench_shared.json").write_text(json.dumps(figures, indent=2) + "\n")
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait()
        redis_process.terminate()
        redis_process.wait()


if __name__ == "__main__":
    main()
