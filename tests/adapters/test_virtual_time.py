"""What an adapter's threads see under the checks: one clock for every clock they read,
threads they start included; threads left behind fenced; no certificate stores loaded."""

from __future__ import annotations

import asyncio
import datetime
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from time import perf_counter as bound_perf_counter
from time import sleep as bound_sleep
from typing import Any

import httpx

from pytest_plugin import GrokMock
from pytest_plugin._adapter_run import run_adapter

SUBMIT = "https://api.segmind.com/v2/grok-imagine-image"


def run(grok_mock: GrokMock, call: Any) -> Any:
    return run_adapter(grok_mock, call, max_seconds=10_000, max_requests=100)


def test_every_clock_follows_the_emulator(grok_mock: GrokMock) -> None:
    seen: dict[str, float] = {}

    def adapter() -> None:
        t0, p0, m0 = time.time(), bound_perf_counter(), time.monotonic_ns()
        d0 = datetime.datetime.now(datetime.timezone.utc)
        bound_sleep(90)  # bound at import, before the run
        asyncio.run(asyncio.sleep(10))
        seen["time"] = time.time() - t0
        seen["perf"] = bound_perf_counter() - p0
        seen["mono_ns"] = (time.monotonic_ns() - m0) / 1e9
        seen["datetime"] = (datetime.datetime.now(datetime.timezone.utc) - d0).total_seconds()
        seen["epoch"] = time.time()

    began = grok_mock.now
    outcome = run(grok_mock, adapter)
    assert outcome.error is None, outcome.error
    assert grok_mock.now - began == 100
    for name in ("time", "perf", "mono_ns", "datetime"):
        assert abs(seen[name] - 100) < 0.01, (name, seen[name])
    assert seen["epoch"] == grok_mock.now  # the emulator's own clock, headers included
    assert time.sleep is bound_sleep  # everything is put back
    assert abs(time.time() - seen["epoch"]) > 1_000  # real time for everyone else


def test_threads_the_adapter_starts_share_its_clock(grok_mock: GrokMock) -> None:
    def adapter() -> list[float]:
        def worker() -> float:
            started = time.monotonic()
            time.sleep(30)
            return time.monotonic() - started

        with ThreadPoolExecutor(2) as pool:
            return list(pool.map(lambda _: worker(), range(2)))

    outcome = run(grok_mock, adapter)
    # One virtual clock: each sleeper waits its 30 s; overlapping sleeps add up on it.
    assert all(waited >= 30 for waited in outcome.result), outcome.result
    assert grok_mock.now - outcome.began == 60


def test_a_thread_left_behind_is_fenced(grok_mock: GrokMock) -> None:
    served, released, stopped = threading.Event(), threading.Event(), threading.Event()
    reached: list[int] = []

    def adapter() -> str:
        def keeps_polling() -> None:
            reached.append(httpx.get(SUBMIT).status_code)  # during the run: served
            served.set()
            released.wait()  # the run is over and the journal counted
            try:
                while True:
                    time.sleep(1)
                    reached.append(httpx.get(SUBMIT).status_code)
            except BaseException:  # Runaway, raised by the fence
                stopped.set()

        threading.Thread(target=keeps_polling, daemon=True).start()
        served.wait(10)
        return "done"

    outcome = run(grok_mock, adapter)
    assert outcome.result == "done"
    before = len(grok_mock.journal)
    released.set()
    assert stopped.wait(10)  # its next request after the run was refused
    assert len(grok_mock.journal) == before
    assert len(reached) == 1  # only the request made while the run lasted


def test_certificate_stores_are_skipped_only_for_the_adapter(grok_mock: GrokMock) -> None:
    def adapter() -> int:
        return len(ssl.create_default_context().get_ca_certs())

    outcome = run(grok_mock, adapter)
    assert outcome.result == 0
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=_ONE_CERT)
    assert len(context.get_ca_certs()) == 1  # outside the adapter's threads, untouched


# A self-signed certificate, only for counting what a store holds.
_ONE_CERT = """-----BEGIN CERTIFICATE-----
MIIBhzCCAS2gAwIBAgIUWtxRwxFZ04zAsteaIMuAa6A+t5owCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOZ3Jvay1tb2NrLXRlc3QwHhcNMjYxMTI5MTIzOTU0WhcNMzYx
MTI2MTIzOTU0WjAZMRcwFQYDVQQDDA5ncm9rLW1vY2stdGVzdDBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABDFpc+cHZyEMCuxgfVDJmgw2GkkGC8pinPq1vxIJgZLy
B+Gahua5+WDh6vTRgyMI6ia98FvTlefBw6JmXR/cauOjUzBRMB0GA1UdDgQWBBSD
ItNDOQUaYv80l1mDDI5uPG8kszAfBgNVHSMEGDAWgBSDItNDOQUaYv80l1mDDI5u
PG8kszAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIDTNUF41ZkyC
KrZz6bQihXYwv3IvZnT/8x8RXj8CKZk3AiEAxtWHGZa9M7iPfvdR94s5+peBNvW5
ojYdXY2FdrFVCIk=
-----END CERTIFICATE-----
"""
