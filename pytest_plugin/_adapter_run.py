"""Running an adapter once: on a worker thread, in virtual time, with a leash.

While the adapter runs, `time.sleep`, `time.monotonic`, `time.time` and
`asyncio.sleep` in its thread follow the emulator's clock, so a realistic
lifecycle and a one-hour backoff take no wall time. An adapter that never
stops (polls forever, or spins without sleeping) is stopped with `Runaway`, a
BaseException, so an `except Exception` in the adapter cannot swallow it.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from mockserver.engine import JournalEntry
from mockserver.engine.errors import Runaway
from pytest_plugin._controller import GrokMock

# How long (wall time) one adapter call may take before the checks stop waiting for it.
WALL_LIMIT = 60.0
# Requests at one instant of virtual time before a loop counts as spinning.
_SPIN_LIMIT = 50


@dataclass
class Run:
    """What one adapter call did."""

    result: Any = None
    error: BaseException | None = None
    entries: list[JournalEntry] = field(default_factory=list)
    began: float = 0.0
    ended: float = 0.0
    runaway: str | None = None

    @property
    def elapsed(self) -> float:
        return self.ended - self.began


class _Leash:
    """Virtual time and a request budget for the thread running the adapter."""

    def __init__(self, grok_mock: GrokMock, max_seconds: float, max_requests: int) -> None:
        self.grok_mock = grok_mock
        self.max_seconds = max_seconds
        self.max_requests = max_requests
        self.thread: int | None = None
        self.began = grok_mock.now
        self.requests = 0
        self.spins = 0
        self.last_at = self.began

    def mine(self) -> bool:
        return threading.get_ident() == self.thread

    def wait(self, seconds: float) -> None:
        self.grok_mock.advance(max(0.0, seconds))
        spent = self.grok_mock.now - self.began
        if spent > self.max_seconds:
            raise Runaway(f"still going after {spent:.0f} virtual seconds")

    def offset(self) -> float:
        return self.grok_mock.now - self.began

    def before_request(self) -> None:
        if not self.mine():
            return
        self.requests += 1
        now = self.grok_mock.now
        self.spins = self.spins + 1 if now == self.last_at else 0
        self.last_at = now
        if self.spins >= _SPIN_LIMIT:
            raise Runaway(f"sent {_SPIN_LIMIT} requests in a row without waiting in between")
        if self.requests > self.max_requests:
            raise Runaway(f"sent more than {self.max_requests} requests in one generation")


@contextmanager
def _virtual_time(leash: _Leash) -> Iterator[None]:
    real_sleep, real_monotonic, real_time = time.sleep, time.monotonic, time.time
    real_async_sleep = asyncio.sleep

    def sleep(seconds: float) -> None:
        if leash.mine():
            leash.wait(float(seconds))
        else:
            real_sleep(seconds)

    def monotonic() -> float:
        return real_monotonic() + (leash.offset() if leash.mine() else 0.0)

    def now() -> float:
        return real_time() + (leash.offset() if leash.mine() else 0.0)

    async def async_sleep(delay: float, result: Any = None) -> Any:
        if leash.mine():
            leash.wait(float(delay))
            delay = 0
        return await real_async_sleep(delay, result)

    time.sleep, time.monotonic, time.time = sleep, monotonic, now  # type: ignore[assignment]
    asyncio.sleep = async_sleep
    try:
        yield
    finally:
        time.sleep, time.monotonic, time.time = real_sleep, real_monotonic, real_time
        asyncio.sleep = real_async_sleep


def run_adapter(
    grok_mock: GrokMock,
    call: Callable[[], Any],
    *,
    max_seconds: float,
    max_requests: int,
) -> Run:
    """Call `call()` (sync or returning a coroutine) as the adapter would be used."""
    leash = _Leash(grok_mock, max_seconds, max_requests)
    run = Run(began=grok_mock.now)
    first = len(grok_mock.journal)
    seq_before = grok_mock.journal.tail(1)[0].seq if first else 0

    def work() -> None:
        leash.thread = threading.get_ident()
        try:
            value = call()
            if inspect.isawaitable(value):
                value = asyncio.run(_awaited(value))
            run.result = value
        except Runaway as stop:
            run.runaway = str(stop)
        except BaseException as exc:  # whatever the adapter raised is the verdict
            run.error = exc

    grok_mock.request_guards.append(leash.before_request)
    try:
        with _virtual_time(leash):
            worker = threading.Thread(target=work, name="grok-mock-adapter", daemon=True)
            worker.start()
            worker.join(WALL_LIMIT)
            if worker.is_alive():
                run.runaway = f"did not return within {WALL_LIMIT:.0f} s of wall time"
    finally:
        grok_mock.request_guards.remove(leash.before_request)
    run.ended = grok_mock.now
    run.entries = [e for e in grok_mock.journal if e.seq > seq_before]
    return run


async def _awaited(value: Any) -> Any:
    return await value
