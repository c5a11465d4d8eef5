"""Running an adapter once: on a worker thread, in virtual time, with a leash.

While the adapter runs, every clock it reads in its threads follows the emulator's
(see `_adapter_clock`), so a realistic lifecycle and a one-hour backoff take no wall
time. An adapter that never
stops (polls forever, or spins without sleeping) is stopped with `Runaway`, a
BaseException, so an `except Exception` in the adapter cannot swallow it.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable
from dataclasses import field
from typing import Any

from contracts.record import record
from mockserver.engine import JournalEntry
from mockserver.engine.errors import Runaway
from pytest_plugin._adapter_clock import BoundNames, Leash, no_certificates, virtual_time
from pytest_plugin._controller import GrokMock

# How long (wall time) one adapter call may take before the checks stop waiting for it:
# in virtual time an honest generation takes well under a second of it.
WALL_LIMIT = 30.0
# Requests at one instant of virtual time before a loop counts as spinning.
_SPIN_LIMIT = 50


@record(frozen=False)
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


class _Budget:
    """What one run may spend: virtual seconds, requests, requests without a wait."""

    def __init__(self, leash: Leash, max_seconds: float, max_requests: int) -> None:
        self.leash = leash
        self.max_seconds = max_seconds
        self.max_requests = max_requests
        self.requests = 0
        self.spins = 0
        self.last_at = leash.began

    def after_wait(self) -> None:
        spent = self.leash.offset()
        if spent > self.max_seconds:
            raise Runaway(f"still going after {spent:.0f} virtual seconds")

    def before_request(self) -> None:
        leash = self.leash
        if leash.fenced():
            raise Runaway("its run is over: a thread it left running tried another request")
        if not leash.mine():
            return
        self.requests += 1
        now = leash.now()
        self.spins = self.spins + 1 if now == self.last_at else 0
        self.last_at = now
        if self.spins >= _SPIN_LIMIT:
            raise Runaway(f"sent {_SPIN_LIMIT} requests in a row without waiting in between")
        if self.requests > self.max_requests:
            raise Runaway(f"sent more than {self.max_requests} requests in one generation")


def run_adapter(
    grok_mock: GrokMock,
    call: Callable[[], Any],
    *,
    max_seconds: float,
    max_requests: int,
    names: BoundNames | None = None,
) -> Run:
    """Call `call()` (sync or returning a coroutine) as the adapter would be used."""
    leash = Leash(lambda: grok_mock.now, grok_mock.advance)
    budget = _Budget(leash, max_seconds, max_requests)
    leash.on_wait = budget.after_wait
    run = Run(began=grok_mock.now)
    seq_before = grok_mock.journal.tail(1)[0].seq if len(grok_mock.journal) else 0

    def work() -> None:
        leash.adopt()
        try:
            value = call()
            if inspect.isawaitable(value):
                value = asyncio.run(_awaited(value))
            run.result = value
        except Runaway as stop:
            run.runaway = str(stop)
        except BaseException as exc:  # whatever the adapter raised is the verdict
            run.error = exc

    grok_mock.request_guards.append(budget.before_request)
    worker = threading.Thread(target=work, name="grok-mock-adapter", daemon=True)
    try:
        with virtual_time(leash, names), no_certificates(leash):
            worker.start()
            worker.join(WALL_LIMIT)
            if worker.is_alive():
                run.runaway = (
                    f"did not return within {WALL_LIMIT:.0f} s of wall time; virtual time "
                    "covers time.sleep, time.time/monotonic/perf_counter (and their _ns), "
                    "datetime.now/utcnow and asyncio.sleep, so it was most likely waiting on "
                    "something else (threading.Event.wait, queue.get, select, a C library)"
                )
    finally:
        grok_mock.request_guards.remove(budget.before_request)
        if leash.close(worker):  # threads left behind: refused any request they try
            grok_mock.request_guards.append(budget.before_request)
    run.ended = grok_mock.now
    run.entries = [e for e in grok_mock.journal if e.seq > seq_before]
    return run


async def _awaited(value: Any) -> Any:
    return await value
