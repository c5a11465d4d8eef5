"""pytest plugin benchmarks: prints figures, asserts nothing.

    python bench/bench_plugin.py

1. Overhead of the `grok_mock` fixture per test: the median setup + teardown
   time pytest reports for 200 tests that only ask for it.
2. A full Segmind v2 lifecycle in-process (submit, status until COMPLETED,
   result, media download) through a real httpx.Client, with the `instant`
   and `polls` profiles: the median of 300.
3. Import cost the plugin adds to a pytest session that does not use it: the
   cumulative import time of `pytest_plugin.plugin` once pytest is loaded, and
   the wall-time difference of `pytest --collect-only` with and without it.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

TESTS = """
import pytest

@pytest.mark.parametrize("index", range(200))
def test_with_the_fixture(grok_mock, index):
    pass

@pytest.mark.parametrize("index", range(200))
def test_without(index):
    pass
"""
TIMING_CONFTEST = """
import json, os, time
import pytest

SPENT = {}

@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    started = time.perf_counter()
    try:
        return (yield)
    finally:
        SPENT[item.nodeid] = SPENT.get(item.nodeid, 0.0) + time.perf_counter() - started

@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    started = time.perf_counter()
    try:
        return (yield)
    finally:
        SPENT[item.nodeid] = SPENT.get(item.nodeid, 0.0) + time.perf_counter() - started

def pytest_sessionfinish(session):
    with open(os.environ["GROK_BENCH_OUT"], "w") as out:
        json.dump(SPENT, out)
"""


def fixture_overhead() -> float:
    """Median setup + teardown of a test with the fixture, minus one without."""
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        (base / "test_overhead.py").write_text(TESTS)
        (base / "conftest.py").write_text(TIMING_CONFTEST)
        out = base / "spent.json"
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore"],
            capture_output=True,
            cwd=folder,
            env={**os.environ, "GROK_BENCH_OUT": str(out)},
            check=False,
        )
        spent: dict[str, float] = json.loads(out.read_text())

    def median(name: str) -> float:
        # The first of each pays one-off costs (imports, the portal); the rest is steady state.
        values = [v for k, v in spent.items() if name in k and not k.endswith("[0]")]
        return statistics.median(values)

    return (median("test_with_the_fixture") - median("test_without")) * 1000


def lifecycle(profile: str, runs: int = 300) -> float:
    from mockserver import Emulator, ManualClock, create_app
    from pytest_plugin._intercept import intercept
    from pytest_plugin._portal import Portal

    portal = Portal()
    emulator = Emulator(clock=ManualClock(), profile=profile)
    emulator.deliver_webhooks_from(portal.loop)  # as the fixture does
    timings = []
    try:
        with intercept(create_app(emulator), portal, ["api.segmind.com"]), httpx.Client() as client:
            headers = {"x-api-key": "bench"}
            for _ in range(runs + 20):
                started = time.perf_counter()
                job = client.post(
                    "https://api.segmind.com/v2/grok-imagine-image",
                    json={"prompt": "bench", "resolution": "1k"},
                    headers=headers,
                ).json()
                while (
                    client.get(job["status_url"], headers=headers).json()["status"] != "COMPLETED"
                ):
                    pass
                result = client.get(job["response_url"], headers=headers).json()
                output = result["output"]  # one image: its URL; n > 1: a list of them
                client.get(output if isinstance(output, str) else output[0]).raise_for_status()
                timings.append(time.perf_counter() - started)
    finally:
        portal.close()
    return statistics.median(timings[20:]) * 1000


def bare_lifecycle(requests: int, runs: int = 300) -> float:
    """The floor: the same number of requests through httpx to a transport that answers at
    once (httpx's own work: building requests, cookies, responses), in the same run."""
    answer = {"status": "COMPLETED", "status_url": "https://h/s", "response_url": "https://h/r"}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={**answer, "output": "https://h/m"})

    timings = []
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        headers = {"x-api-key": "bench"}
        for _ in range(runs + 20):
            started = time.perf_counter()
            client.post("https://api.segmind.com/v2/x", json={"prompt": "bench"}, headers=headers)
            for _ in range(requests - 1):
                client.get("https://api.segmind.com/v2/requests/x/status", headers=headers).json()
            timings.append(time.perf_counter() - started)
    return statistics.median(timings[20:]) * 1000


def import_cost() -> tuple[float, float]:
    """The plugin's share of a real pytest session's imports, and of its wall time."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
        # pytest captures stderr while it loads plugins, so -X importtime shows nothing
        # there: time the import directly, in fresh interpreters that have pytest loaded.
        probe = (
            "import time, pytest; started = time.perf_counter(); import pytest_plugin.plugin; "
            "print(time.perf_counter() - started)"
        )
        imports = [
            float(
                subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout
            )
            for _ in range(15)
        ]
        imported = statistics.median(imports) * 1000

        def session(*extra: str) -> float:
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra],
                capture_output=True,
                cwd=folder,
            )
            return time.perf_counter() - started

        with_plugin, without = [], []
        for _ in range(25):  # interleaved, so machine noise hits both alike
            with_plugin.append(session())
            without.append(session("-p", "no:grok_mock"))
    return imported, (min(with_plugin) - min(without)) * 1000


def main() -> None:
    print(
        f"grok_mock fixture overhead per test: median {fixture_overhead():.2f} ms (budget <= 3 ms)"
    )
    for profile, requests in (("instant", 4), ("polls", 6)):
        spent, floor = lifecycle(profile), bare_lifecycle(requests)
        print(
            f"Segmind v2 lifecycle in-process, {profile}: median {spent:.2f} ms "
            "(submit, status until COMPLETED, result, media; budget <= 2 ms); "
            f"httpx alone for its {requests} requests: {floor:.2f} ms ({spent / floor:.1f}x)"
        )
    imported, session = import_cost()
    print(
        f"plugin import cost, pytest already loaded: median {imported:.2f} ms (budget <= 20 ms); "
        f"a whole pytest session that does not use it: {session:+.1f} ms (best of 25 each, noisy)"
    )


if __name__ == "__main__":
    main()
