"""CPU instructions per request, emulator against the bare app, counted by valgrind: prints
figures, asserts nothing.

    python bench/bench_instructions.py [--requests 1000]

Throughput on a shared machine moves by 10-25% from one second to the next; an
instruction count does not move at all. Each case runs in process (the ASGI app called
directly, no sockets) under `valgrind --tool=cachegrind` twice, with 200 and with
200 + N requests, so start-up and set-up cancel out: (count(200 + N) - count(200)) / N is
what one request costs. The bare Starlette app (`_bare.py`) is the baseline, in the same
run; "harness" is what calling an ASGI app costs this script, part of every figure.

Then the same for live servers (`grok-mock serve` and the bare app under uvicorn, uvloop and
httptools, each under valgrind): status polls and submits over 8 keep-alive connections, the
server's own count, so the HTTP stack both share is in both figures.

Instructions are not time (a cache miss costs more than an add), but they track it: a cut
here showed as about the same cut in `bench_server.py`'s throughput. Needs valgrind
(`apt-get install valgrind`); Python's hash seed is fixed, so a run repeats (live counts
move by a little with how requests batch in the event loop).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KEY = b"bench-key"
SEGMIND = "/segmind/v2/grok-imagine-image"
PIXAZO = (
    "/pixazo/grok-imagine-pro-text-to-image-quality/v1/"
    "grok-imagine-pro-text-to-image-quality-request"
)
BODY = json.dumps({"prompt": "a lighthouse", "resolution": "1k"}).encode()
# (emulator case, the bare app's case it is measured against)
CASES = {
    "segmind status poll": "bare status",
    "segmind submit": "bare submit",
    "pixazo status": "bare status",
}
Call = Callable[[], Awaitable[list[dict[str, Any]]]]


def _scope(method: str, path: str, key_header: bytes) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1:8000"), (key_header, KEY)]
    headers += [(b"content-type", b"application/json"), (b"user-agent", b"wrk")]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 5555),
    }


def _caller(app: Any, method: str, path: str, key_header: bytes, body: bytes = b"") -> Call:
    async def call() -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(_scope(method, path, key_header), receive, send)
        return sent

    return call


async def _null(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def _prepare(case: str) -> Call:
    """The call one request of `case` makes, with what it reads already submitted."""
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(ROOT))
    from _bare import app as bare

    from mockserver.app import MockApp
    from mockserver.engine import Emulator
    from mockserver.engine.settings import Settings

    mock = MockApp(Emulator(Settings(profile="stuck")))
    segmind = _caller(mock, "POST", SEGMIND, b"x-api-key", BODY)
    pixazo = _caller(mock, "POST", PIXAZO, b"ocp-apim-subscription-key", BODY)
    status_url = json.loads((await segmind())[1]["body"])["status_url"]
    polling_url = json.loads((await pixazo())[1]["body"])["polling_url"]
    calls = {
        "harness": _caller(_null, "GET", "/", b"x-api-key"),
        "bare status": _caller(bare, "GET", "/status", b"x-api-key"),
        "bare submit": _caller(bare, "POST", "/submit", b"x-api-key", BODY),
        "segmind status poll": _caller(mock, "GET", _path(status_url), b"x-api-key"),
        "segmind submit": segmind,
        "pixazo status": _caller(mock, "GET", _path(polling_url), b"ocp-apim-subscription-key"),
    }
    return calls[case]


def _path(url: str) -> str:
    return "/" + url.split("//", 1)[1].split("/", 1)[1]


async def _work(case: str, requests: int) -> None:
    call = await _prepare(case)
    for _ in range(requests):
        await call()


# Python's hash seed fixed: a run repeats exactly.
_VALGRIND = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
_ENV = {**os.environ, "PYTHONHASHSEED": "0"}


def _counted(stderr: str, what: str) -> int:
    """The instruction count valgrind printed for a process as it ended."""
    found = re.search(r"I\s+refs:\s+([\d,]+)", stderr)
    if found is None:
        raise RuntimeError(f"valgrind printed no count for {what}:\n{stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def _per_request(count: Callable[[int], int], base: int, requests: int) -> float:
    """What one request adds: `base` requests and `base + requests` counted at once (one
    per core), so start-up and set-up cancel out."""
    with ThreadPoolExecutor(2) as pool:
        small, big = pool.map(count, (base, base + requests))
    return (big - small) / requests


def _instructions(case: str, requests: int) -> int:
    """Instructions a process serving `requests` requests of `case` runs, start to end."""
    command = [*_VALGRIND, sys.executable, __file__, "--worker", case, str(requests)]
    done = subprocess.run(command, capture_output=True, text=True, env=_ENV, check=True)
    return _counted(done.stderr, case)


def per_request(case: str, requests: int) -> float:
    return _per_request(lambda n: _instructions(case, n), 200, requests)


def _served(app: str, kind: str, requests: int) -> int:
    """Instructions a live server (`app`: "bare" or "mock") runs, start to end, answering
    `requests` status polls or submits (`kind`: "status poll" or "submit")."""
    sys.path.insert(0, str(HERE))
    import _load
    import httpx
    from bench_server import BARE, free_port, wait_ready

    port = free_port()
    host = f"127.0.0.1:{port}"
    command = [*_VALGRIND, sys.executable]
    if app == "bare":
        command += ["-c", BARE, str(port)]
    else:
        command += ["-m", "mockserver", "serve", "--port", str(port), "--profile", "stuck"]
    server = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=_ENV
    )
    try:
        wait_ready(f"http://{host}/" + ("status" if app == "bare" else "__mock/health"), 300)
        headers = {"x-api-key": KEY.decode(), "content-type": "application/json"}
        if kind == "submit":
            path = "/submit" if app == "bare" else SEGMIND
            sent = _load.request_bytes("POST", path, host, headers, BODY)
        else:
            path = "/status"
            if app == "mock":
                url = f"http://{host}{SEGMIND}"
                job = httpx.post(url, json={"prompt": "b"}, headers=headers, timeout=60).json()
                path = job["status_url"].split(host, 1)[1]
            sent = _load.request_bytes("GET", path, host, headers)
        answered = _load.run("127.0.0.1", port, [sent] * requests, 8)
        if set(answered.statuses) != {200}:
            raise RuntimeError(f"{app}: {kind}s answered {answered.statuses}")
    finally:
        server.send_signal(signal.SIGTERM)
        err = server.communicate(timeout=300)[1]
    return _counted(err, f"the {app} server")


def live_per_request(app: str, kind: str, requests: int) -> float:
    return _per_request(lambda n: _served(app, kind, n), 300, requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--worker", nargs=2, metavar=("CASE", "REQUESTS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(_work(args.worker[0], int(args.worker[1])))
        return
    if shutil.which("valgrind") is None:
        sys.exit("bench_instructions needs valgrind: apt-get install valgrind")
    counts = {case: per_request(case, args.requests) for case in ("harness", "bare status")}
    counts["bare submit"] = per_request("bare submit", args.requests)
    print(f"Python {sys.version.split()[0]}; instructions per request, in process")
    print(f"{'harness (calling an ASGI app)':<30} {counts['harness']:>10,.0f}")
    for case, baseline in CASES.items():
        counts[case] = mine = per_request(case, args.requests)
        bare = counts[baseline]
        print(f"{case:<30} {mine:>10,.0f} vs {baseline} {bare:>10,.0f} = {bare / mine:.2f}x")
    for kind in ("status poll", "submit"):
        for app in ("bare", "mock"):
            counts[f"live {app} {kind}"] = live_per_request(app, kind, args.requests)
        mine, bare = counts[f"live mock {kind}"], counts[f"live bare {kind}"]
        figure = f"{mine:>10,.0f} vs bare app {bare:>10,.0f} = {bare / mine:.2f}x"
        print(f"{'live server, ' + kind:<30} {figure}")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_instructions.json").write_text(json.dumps(counts, indent=2))


if __name__ == "__main__":
    main()
