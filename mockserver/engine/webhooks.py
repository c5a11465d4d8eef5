"""Webhook delivery: asynchronous, retried with backoff, journaled, and fenced in.

A delivery is due when its job ends (its time is known at submit for clock-driven
jobs; a `polls` job ends when a read sees it end). A runner task on the server's
event loop sends what is due, so the request path only pushes onto a heap.
Retries wait on the emulator's clock, so a test moves the clock to make them
happen. Everything goes out through the outbound port, which contacts only
loopback and allow-listed hosts; anything else is refused and journaled, never
sent. At shutdown, what is due is sent if it can be; the rest is journaled as
dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import json
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from mockserver.engine.clock import Clock
from mockserver.engine.journal import Journal, JournalEntry, bounded
from mockserver.engine.outbound import Outbound, OutboundFailed, OutboundRefused

Render = Callable[[float], Awaitable[tuple[Any, dict[str, str]]]]
State = Literal["waiting", "due", "delivered", "failed", "refused", "dropped"]
SETTLED: frozenset[State] = frozenset({"delivered", "failed", "refused", "dropped"})
_MAX_REAL_WAIT = 30.0
# How much of a receiver's answer is read, and how much of it an attempt keeps.
_REPLY_LIMIT = 64 * 1024
_REPLY_KEPT = 512


@dataclass(frozen=True)
class WebhookPolicy:
    attempts: int = 5
    # Seconds on the emulator clock before each retry (the last repeats).
    backoff: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)
    # Real seconds one attempt may take in all: connecting, sending, the answer.
    timeout: float = 10.0
    # Attempts in flight at once; the rest wait their turn.
    concurrency: int = 64
    # Bytes of each body kept for reading (the receiver always gets all of it).
    body_bytes: int = 16 * 1024


@dataclass(eq=False)
class Delivery:
    id: str
    provider: str
    job_id: str
    url: str
    render: Render = field(repr=False)
    state: State = "waiting"
    attempts: list[dict[str, Any]] = field(default_factory=list)
    body: Any = None
    # When the next attempt is due on the emulator's clock (None once it is settled).
    due_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider,
            "job_id": self.job_id,
            "url": self.url,
            "state": self.state,
            "attempts": list(self.attempts),
            "due_at": self.due_at if self.state in ("waiting", "due") else None,
            "body": self.body,
        }


class Webhooks:
    def __init__(
        self,
        clock: Clock,
        journal: Journal,
        *,
        outbound: Callable[[], Outbound | None],
        allowed_hosts: tuple[str, ...] = (),
        policy: WebhookPolicy | None = None,
    ) -> None:
        self.clock = clock
        self.journal = journal
        self.allowed_hosts = allowed_hosts
        self.policy = policy or WebhookPolicy()
        self._outbound = outbound
        self._ids = itertools.count(1)
        # Settled deliveries are kept for reading as long as the journal keeps entries.
        self._deliveries: deque[Delivery] = deque(maxlen=max(100, journal.size))
        self._due: list[tuple[float, int, Delivery]] = []
        self._order = itertools.count()
        self._lock = threading.RLock()
        self._settled = threading.Condition(self._lock)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._home: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._runner: asyncio.Task[None] | None = None
        self._slots: asyncio.Semaphore | None = None
        self._in_flight: dict[asyncio.Task[None], Delivery] = {}
        self._closed = False

    # -- scheduling (any thread) -------------------------------------------

    def create(self, provider: str, job_id: str, url: str, render: Render) -> Delivery:
        delivery = Delivery(f"hook-{next(self._ids)}", provider, job_id, url, render)
        with self._lock:
            self._deliveries.append(delivery)
        return delivery

    def schedule(self, delivery: Delivery, due_at: float) -> None:
        """Send `delivery` once the clock reaches `due_at`."""
        with self._lock:
            if delivery.state != "waiting" or self._closed:
                return
            delivery.state, delivery.due_at = "due", due_at
            heapq.heappush(self._due, (due_at, next(self._order), delivery))
        self.notify()

    def notify(self) -> None:
        """Something may be due now: wake the runner."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(wake.set)

    def home(self, loop: asyncio.AbstractEventLoop) -> None:
        """Always deliver from `loop` (a long-lived one), whichever loop serves requests."""
        self._home = loop
        loop.call_soon_threadsafe(self._start_runner)

    def _start_runner(self) -> None:
        if self._closed:  # closed (a reset) before its home loop got round to starting it
            return
        self._loop = None
        self.bind()

    def bind(self) -> None:
        """Run deliveries on the current event loop (called on every request; cheap)."""
        if self._closed or (self._home is not None and self._loop is self._home):
            return
        loop = asyncio.get_running_loop()
        if self._home is not None and loop is not self._home:
            return
        runner = self._runner  # the usual case, without the lock: already running here
        if self._loop is loop and runner is not None and not runner.done():
            return
        with self._lock:
            if self._loop is loop and self._runner is not None and not self._runner.done():
                return
            old_loop, old_runner = self._loop, self._runner
            if old_loop is not None and old_runner is not None and not old_loop.is_closed():
                # The emulator is now served from another loop (another server): one runner.
                old_loop.call_soon_threadsafe(old_runner.cancel)
            self._loop = loop
            self._wake = asyncio.Event()
            self._slots = asyncio.Semaphore(self.policy.concurrency)
            self._runner = loop.create_task(self._run(), name="grok-mock-webhooks")

    # -- reading -----------------------------------------------------------

    def deliveries(self, job_id: str | None = None) -> list[Delivery]:
        with self._lock:
            return [d for d in self._deliveries if job_id is None or d.job_id == job_id]

    @property
    def pending(self) -> int:
        """Deliveries scheduled and not yet attempted (or waiting for a retry)."""
        with self._lock:
            return len(self._due)

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[Delivery]:
        """Block until `count` deliveries have settled (delivered, failed, refused, dropped)."""

        def settled() -> list[Delivery]:
            return [d for d in self._deliveries if d.state in SETTLED]

        self.wait_for(lambda: len(settled()) >= count, timeout)
        with self._lock:
            return settled()

    def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Block until `condition()` holds after some attempt finished (or it already does)."""
        with self._settled:
            return self._settled.wait_for(condition, timeout)

    def close(self) -> None:
        """Stop the runner; pending deliveries are forgotten (the emulator was reset)."""
        with self._lock:
            self._closed = True
            self._due.clear()
            loop, runner = self._loop, self._runner
            self._loop = self._wake = self._runner = None
        if loop is not None and runner is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(runner.cancel)

    async def drain(self, seconds: float) -> tuple[int, int]:
        """At shutdown: send what is due within `seconds`; journal the rest as dropped.

        Answers (delivered during the drain, dropped).
        """
        with self._lock:
            self._closed = True
            runner = self._runner
        if runner is not None and not runner.done():
            runner.cancel()
        here = asyncio.get_running_loop()
        attempts = {t: d for t, d in self._in_flight.items() if t.get_loop() is here}
        for delivery in self._pop_due():
            attempts[asyncio.ensure_future(self._attempt(delivery, retry=False))] = delivery
        if attempts:
            _, late = await asyncio.wait(list(attempts), timeout=seconds)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        with self._lock:
            left = [d for d in self._deliveries if d.state not in SETTLED]
            self._due.clear()
        for delivery in left:
            record = _record(len(delivery.attempts) + 1, self.clock.now())
            record["error"] = "dropped: the emulator shut down before it could be sent"
            self._finish(delivery, record, "dropped")
        delivered = sum(1 for d in attempts.values() if d.state == "delivered")
        return delivered, len(left)

    # -- the runner (event loop thread) ------------------------------------

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            self._wake.clear()
            for delivery in self._pop_due():
                task = asyncio.get_running_loop().create_task(self._attempt(delivery))
                self._in_flight[task] = delivery
                task.add_done_callback(self._forget)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._real_wait())

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._in_flight.pop(task, None)

    def _pop_due(self) -> list[Delivery]:
        now = self.clock.now()
        ready = []
        with self._lock:
            while self._due and self._due[0][0] <= now:
                ready.append(heapq.heappop(self._due)[2])
        return ready

    def _real_wait(self) -> float | None:
        """Real seconds until the next delivery on a wall clock; None waits for a nudge."""
        with self._lock:
            if not self._due or not self.clock.realtime:
                return None
            return min(_MAX_REAL_WAIT, max(0.0, self._due[0][0] - self.clock.now()))

    async def _attempt(self, delivery: Delivery, *, retry: bool = True) -> None:
        slots = self._slots
        if slots is None:
            await self._send(delivery, retry)
            return
        async with slots:
            await self._send(delivery, retry)

    async def _send(self, delivery: Delivery, retry: bool) -> None:
        now = self.clock.now()
        number = len(delivery.attempts) + 1
        record = _record(number, now)
        outbound = self._outbound()
        try:
            if outbound is None:
                raise OutboundFailed("no outbound port: serve the emulator with create_app")
            body, headers = await delivery.render(now)
            data = json.dumps(body, separators=(",", ":")).encode()
            delivery.body = bounded(body, self.policy.body_bytes, data)
            reply = await outbound.send(
                "POST",
                delivery.url,
                allowed=self.allowed_hosts,
                deadline=self.policy.timeout,
                limit=_REPLY_LIMIT,
                body=data,
                headers={"content-type": "application/json", **headers},
            )
        except OutboundRefused as refused:
            record["error"] = str(refused)
            self._finish(delivery, record, "refused")
            return
        except OutboundFailed as failed:
            record["error"] = str(failed)
            ok = False
        else:
            record["status"] = reply.status
            record["reply"] = reply.body[:_REPLY_KEPT].decode("utf-8", "replace")
            ok = 200 <= reply.status < 300
        if ok:
            self._finish(delivery, record, "delivered")
        elif not retry:
            record["error"] = f"{record['error'] or 'refused by the receiver'}; no retry: shut down"
            self._finish(delivery, record, "dropped")
        elif number >= self.policy.attempts:
            self._finish(delivery, record, "failed")
        else:
            backoff = self.policy.backoff[min(number, len(self.policy.backoff)) - 1]
            self._finish(delivery, record, "waiting")
            self.schedule(delivery, now + backoff)

    def _finish(self, delivery: Delivery, record: dict[str, Any], state: State) -> None:
        self.journal.record(
            JournalEntry(
                at=record["at"],
                method="POST",
                path=delivery.url,
                host=urlsplit(delivery.url).netloc,
                provider=delivery.provider,
                operation="webhook",
                status=record["status"],
                body=delivery.body,
                job_id=delivery.job_id,
                error=record["error"],
            )
        )
        with self._settled:
            delivery.attempts.append(record)
            delivery.state = state
            self._settled.notify_all()


def _record(number: int, at: float) -> dict[str, Any]:
    return {"attempt": number, "at": at, "status": None, "error": None}
