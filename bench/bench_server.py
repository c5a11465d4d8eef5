"""Live-server benchmarks against a bare Starlette app on the same stack: prints figures,
asserts nothing.

    python bench/bench_server.py [--seconds 2] [--rounds 5] [--connections 32]

Both servers run under the same uvicorn settings (uvloop and httptools when installed, as
`grok-mock serve` uses them), each pinned to its own core, loaded by wrk (installed from
Debian's package; the built-in generator otherwise) from the other. In the same run:

1. Throughput, emulator against bare app doing the same HTTP work (the best round of each,
   and the median of each round's own ratio): Segmind status poll, Segmind submit, Pixazo
   status, xAI generation (a URL), a media download (a 1K JPEG of about 35 KB; the bare
   app answers with as many bytes).
2. Start-up: from spawning the server to its first answer, against the bare app's.
3. Memory: server RSS across 200,000 mixed requests (polls, submits; the clock moved an
   hour every 20,000 so expired jobs go).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _load

KEY = "bench-key"
PIXAZO = (
    "/pixazo/grok-imagine-pro-text-to-image-quality/v1/"
    "grok-imagine-pro-text-to-image-quality-request"
)
# The bare app (`_bare.py`) served as `grok-mock serve` serves the emulator.
BARE = f"""
import sys, uvicorn
sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
from _bare import app, serve_media
if len(sys.argv) > 2:  # the emulator's download size
    serve_media(int(sys.argv[2]))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
            access_log=False, lifespan="off", server_header=False)
"""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(cpu: int) -> list[str]:
    return (
        ["taskset", "-c", str(cpu)] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []
    )


def spawn(args: list[str], cpu: int = 1) -> subprocess.Popen[bytes]:
    return subprocess.Popen(pinned(cpu) + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_ready(url: str, timeout: float = 10.0) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            if httpx.get(url, timeout=0.5).status_code < 500:
                return time.perf_counter() - started
        except httpx.TransportError:
            time.sleep(0.002)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def serve_mock(port: int, profile: str = "fast") -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "mockserver", "serve", "--port", str(port)]
    return spawn([*command, "--profile", profile])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def throughput(
    url: str,
    seconds: int,
    connections: int,
    headers: dict[str, str],
    body: bytes | None = None,
    *,
    errors: bool = False,
) -> float:
    """Requests per second on `url` (a POST when `body` is given); `errors` when the
    answer measured is meant to be an error status (a failed job's read)."""
    if shutil.which("wrk"):
        return _wrk(url, seconds, connections, headers, body, errors)
    host_port, _, rest = url.split("//", 1)[1].partition("/")
    host, port = host_port.split(":")
    method = "POST" if body is not None else "GET"
    raw = _load.request_bytes(method, "/" + rest, host_port, headers, body or b"")
    return _load.run(host, int(port), [raw] * (2000 * seconds), connections).rps


def wrk_output(
    url: str,
    seconds: int,
    connections: int,
    headers: dict[str, str],
    body: bytes | None,
    *flags: str,
) -> str:
    """What wrk prints for a run on `url` from core 0 (a POST when `body` is given)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        lines = [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
        if body is not None:
            lines += ['wrk.method = "POST"', f"wrk.body = {json.dumps(body.decode())}"]
        script.write("\n".join(lines) + "\n")
    command = [*pinned(0), "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", *flags]
    try:
        command += ["-s", script.name, url]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)


def _wrk(
    url: str,
    seconds: int,
    connections: int,
    headers: dict[str, str],
    body: bytes | None,
    errors: bool = False,
) -> float:
    out = wrk_output(url, seconds, connections, headers, body)
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None or ("Non-2xx" in out) != errors:
        wanted = "only error answers" if errors else "clean 2xx answers"
        raise RuntimeError(f"wrk did not report {wanted} for {url}:\n{out}")
    return float(match.group(1))


def bench_throughput(
    seconds: int, connections: int, rounds: int = 5
) -> dict[str, dict[str, float]]:
    bare_port, mock_port = free_port(), free_port()
    mock = serve_mock(mock_port, profile="stuck")
    bare: subprocess.Popen[bytes] | None = None
    bare_url, mock_url = f"http://127.0.0.1:{bare_port}", f"http://127.0.0.1:{mock_port}"
    try:
        wait_ready(f"{mock_url}/__mock/health")
        segmind = {"x-api-key": KEY, "content-type": "application/json"}
        pixazo = {"Ocp-Apim-Subscription-Key": KEY, "content-type": "application/json"}
        xai = {"Authorization": f"Bearer {KEY}", "content-type": "application/json"}
        job = httpx.post(
            mock_url + "/segmind/v2/grok-imagine-image", json={"prompt": "b"}, headers=segmind
        ).json()
        pix = httpx.post(mock_url + PIXAZO, json={"prompt": "b"}, headers=pixazo).json()
        httpx.put(mock_url + "/__mock/profile", json={"profile": "instant"})
        done = httpx.post(
            mock_url + "/segmind/v2/grok-imagine-image",
            json={"prompt": "b", "output_format": "jpeg", "resolution": "1k"},
            headers=segmind,
        ).json()
        media = httpx.get(done["response_url"], headers=segmind).json()["output"]
        # The bare app answers with as many bytes as the emulator's image has.
        size = len(httpx.get(media, headers=segmind).content)
        bare = spawn([sys.executable, "-c", BARE, str(bare_port), str(size)])
        wait_ready(f"{bare_url}/status")
        submit_body = json.dumps({"prompt": "a lighthouse", "resolution": "1k"}).encode()
        xai_body = json.dumps({"prompt": "a lighthouse", "resolution": "1k"}).encode()
        cases = {
            "segmind status poll": ((job["status_url"], segmind, None), "/status", None),
            "segmind submit": (
                (mock_url + "/segmind/v2/grok-imagine-image", segmind, submit_body),
                "/submit",
                submit_body,
            ),
            "pixazo status": ((pix["polling_url"], pixazo, None), "/status", None),
            "xai generation (url)": (
                (mock_url + "/xai/v1/images/generations", xai, xai_body),
                "/submit",
                xai_body,
            ),
            "media download": ((media, segmind, None), "/media", None),
        }
        figures: dict[str, dict[str, float]] = {}
        for name, ((url, headers, body), bare_path, bare_body) in cases.items():
            bare_rounds, mock_rounds = [], []
            # Short interleaved rounds, the best of each: a burst of load from elsewhere on
            # a shared machine slows one round, not one side of the ratio. The median of
            # each round's own ratio (a bare round, then the emulator's) is printed too: a
            # slow spell longer than a round falls on both sides of it.
            for _ in range(rounds):
                bare_rounds.append(
                    throughput(bare_url + bare_path, seconds, connections, headers, bare_body)
                )
                mock_rounds.append(throughput(url, seconds, connections, headers, body))
            mock_rps, bare_rps = max(mock_rounds), max(bare_rounds)
            paired = statistics.median(m / b for m, b in zip(mock_rounds, bare_rounds, strict=True))
            figures[name] = {
                "mock": mock_rps,
                "bare": bare_rps,
                "ratio": mock_rps / bare_rps,
                "paired_median": paired,
            }
        figures["media download"]["bytes"] = size
        return figures
    finally:
        for process in (bare, mock):
            if process is not None:
                process.terminate()
                process.wait()


def bench_startup(runs: int = 15) -> dict[str, float]:
    # As installed from a wheel: our modules compiled to bytecode, as Starlette's are
    # (a checkout run with PYTHONDONTWRITEBYTECODE would otherwise compile on every start).
    root = Path(__file__).resolve().parent.parent
    for package in ("mockserver", "contracts"):
        compileall.compile_dir(root / package, quiet=1)

    def first_answer(command: list[str], url: str) -> float:
        started = time.perf_counter()
        process = spawn(command)
        try:
            wait_ready(url)
            return time.perf_counter() - started
        finally:
            process.terminate()
            process.wait()

    mock, bare = [], []
    for _ in range(runs):
        port = free_port()
        mock.append(
            first_answer(
                [sys.executable, "-m", "mockserver", "serve", "--port", str(port)],
                f"http://127.0.0.1:{port}/__mock/health",
            )
        )
        port = free_port()
        bare.append(
            first_answer([sys.executable, "-c", BARE, str(port)], f"http://127.0.0.1:{port}/status")
        )
    return {
        "mock_s": statistics.median(mock),
        "bare_s": statistics.median(bare),
        "ratio": statistics.median(mock) / statistics.median(bare),
    }


def bench_memory(total: int = 200_000, chunk: int = 20_000) -> dict[str, float]:
    port = free_port()
    process = serve_mock(port)
    origin, host = f"http://127.0.0.1:{port}", f"127.0.0.1:{port}"
    try:
        wait_ready(f"{origin}/__mock/health")
        body = json.dumps({"prompt": "memory benchmark", "n": 2}).encode()
        headers = {"x-api-key": KEY, "Content-Type": "application/json"}
        submit = _load.request_bytes("POST", "/segmind/v2/grok-imagine-image", host, headers, body)

        def mix() -> list[bytes]:
            job = httpx.post(
                f"{origin}/segmind/v2/grok-imagine-image", json={"prompt": "m"}, headers=headers
            ).json()
            poll = _load.request_bytes(
                "GET", job["status_url"].split(host, 1)[1], host, {"x-api-key": KEY}
            )
            return [submit if i % 20 == 0 else poll for i in range(chunk)]

        _load.run("127.0.0.1", port, mix())  # warm-up, not counted
        samples = [rss_mb(process.pid)]
        bad = 0
        for _ in range(total // chunk):
            result = _load.run("127.0.0.1", port, mix())
            bad += sum(c for s, c in result.statuses.items() if s >= 300)
            httpx.post(f"{origin}/__mock/clock/advance", json={"seconds": 3601})
            samples.append(rss_mb(process.pid))
        return {
            "requests": float(total),
            "rss_start_mb": samples[0],
            "rss_end_mb": samples[-1],
            "rss_growth_mb": samples[-1] - samples[0],
            "non_2xx": float(bad),
        }
    finally:
        process.terminate()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=2, help="seconds per round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per case")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    import uvicorn.config  # noqa: F401 - only to report the stack

    stack = "uvloop + httptools" if _has("uvloop") and _has("httptools") else "asyncio + h11"
    loader = "wrk" if shutil.which("wrk") else "built-in load generator"
    python = sys.version.split()[0]
    print(f"machine: {os.cpu_count()} cores, Python {python}, stack: {stack}, load: {loader}")
    figures: dict[str, object] = {}
    throughputs = bench_throughput(args.seconds, args.connections, args.rounds)
    budgets = {"segmind status poll": 0.8, "segmind submit": 0.6, "media download": 0.5}
    for name, row in throughputs.items():
        budget = f" (budget >= {budgets[name]:.1f}x)" if name in budgets else ""
        figure = f"{row['mock']:8.0f} req/s vs bare {row['bare']:8.0f} = {row['ratio']:.2f}x"
        figure += f" (rounds' median {row['paired_median']:.2f}x)"
        size = f" ({row['bytes']:.0f} bytes each)" if "bytes" in row else ""
        print(f"{name:<22} {figure}{budget}{size}")
    figures["throughput"] = throughputs
    startup = bench_startup()
    mock_ms, bare_ms = startup["mock_s"] * 1000, startup["bare_s"] * 1000
    print(
        f"start-up to first answer: {mock_ms:.0f} ms vs bare {bare_ms:.0f} ms = "
        f"{startup['ratio']:.2f}x (budget <= 1.2x)"
    )
    figures["startup"] = startup
    memory = bench_memory()
    print(
        f"memory over {memory['requests']:.0f} mixed requests: {memory['rss_start_mb']:.1f} MB -> "
        f"{memory['rss_end_mb']:.1f} MB ({memory['rss_growth_mb']:+.1f} MB; budget < 20 MB); "
        f"non-2xx: {memory['non_2xx']:.0f}"
    )
    figures["memory"] = memory
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_server.json").write_text(json.dumps(figures, indent=2))


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


if __name__ == "__main__":
    main()
