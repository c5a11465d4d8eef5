"""Webhook delivery: asynchronous, retried with backoff, journaled, and fenced in.

A delivery is due when its job ends (its time is known at submit for clock-driven
jobs; a `polls` job ends when a read sees it end). A runner task on the server's
event loop sends what is due, so the request path only pushes onto a heap.
Retries wait on the emulator's clock, so a test moves the clock to make them
happen. Only loopback and allow-listed hosts are ever contacted; anything else
is refused and journaled, never sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import ipaddress
import itertools
import json
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from mockserver.engine.clock import Clock
from mockserver.engine.journal import Journal, JournalEntry

Render = Callable[[float], Awaitable[tuple[Any, dict[str, str]]]]
State = Literal["waiting", "due", "delivered", "failed", "refused"]
_MAX_REAL_WAIT = 30.0


@dataclass(frozen=True)
class WebhookPolicy:
    attempts: int = 5
    # Seconds on the emulator clock before each retry (the last repeats).
    backoff: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)
    # Real seconds a receiver has to answer one attempt.
    timeout: float = 10.0


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider,
            "job_id": self.job_id,
            "url": self.url,
            "state": self.state,
            "attempts": self.attempts,
            "body": self.body,
        }


def host_listed(url: str, allowed: Iterable[str]) -> bool:
    """Whether the URL's host is on the allow-list (`*.example.com` covers subdomains)."""
    host = (urlsplit(url).hostname or "").lower()
    for pattern in allowed:
        pattern = pattern.lower()
        if host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:])):
            return True
    return False


def host_allowed(url: str, allowed: Iterable[str]) -> bool:
    """Loopback always; any other host only when listed."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        if ipaddress.ip_address(host).is_loopback:
            return True
    except ValueError:
        pass
    return host_listed(url, allowed)


class Webhooks:
    def __init__(
        self,
        clock: Clock,
        journal: Journal,
        *,
        allowed_hosts: tuple[str, ...] = (),
        policy: WebhookPolicy | None = None,
    ) -> None:
        self.clock = clock
        self.journal = journal
        self.allowed_hosts = allowed_hosts
        self.policy = policy or WebhookPolicy()
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
        self._client: Any = None
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
            if delivery.state != "waiting":
                return
            delivery.state = "due"
            heapq.heappush(self._due, (due_at, next(self._order), delivery))
        self.notify()

    def notify(self) -> None:
        """Something may be due now: wake the runner."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
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
        if self._loop is loop and self._runner is not None and not self._runner.done():
            return
        old_loop, old_runner = self._loop, self._runner
        if old_loop is not None and old_runner is not None and not old_loop.is_closed():
            # The emulator is now served from another loop (another server): one runner only.
            old_loop.call_soon_threadsafe(old_runner.cancel)
        self._loop = loop
        self._wake = asyncio.Event()
        self._client = None
        self._runner = loop.create_task(self._run(), name="grok-mock-webhooks")

    # -- reading -----------------------------------------------------------

    def deliveries(self, job_id: str | None = None) -> list[Delivery]:
        with self._lock:
            return [d for d in self._deliveries if job_id is None or d.job_id == job_id]

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[Delivery]:
        """Block until `count` deliveries have settled (delivered, failed or refused)."""

        def settled() -> list[Delivery]:
            return [d for d in self._deliveries if d.state in ("delivered", "failed", "refused")]

        self.wait_for(lambda: len(settled()) >= count, timeout)
        with self._lock:
            return settled()

    def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Block until `condition()` holds after some attempt finished (or it already does)."""
        with self._settled:
            return self._settled.wait_for(condition, timeout)

    def close(self) -> None:
        """Stop the runner; pending deliveries are dropped (the emulator was reset)."""
        self._closed = True
        with self._lock:
            self._due.clear()
        loop, runner = self._loop, self._runner
        if loop is not None and runner is not None and not loop.is_closed():
            loop.call_soon_threadsafe(runner.cancel)
        self._loop = self._wake = self._runner = None

    # -- the runner (event loop thread) ------------------------------------

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            self._wake.clear()
            for delivery in self._pop_due():
                asyncio.get_running_loop().create_task(self._attempt(delivery))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._real_wait())

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

    async def _attempt(self, delivery: Delivery) -> None:
        now = self.clock.now()
        number = len(delivery.attempts) + 1
        record: dict[str, Any] = {"attempt": number, "at": now, "status": None, "error": None}
        if not host_allowed(delivery.url, self.allowed_hosts):
            record["error"] = (
                "refused: only loopback and allow-listed hosts receive webhooks "
                f"(allow-list: {', '.join(self.allowed_hosts) or 'empty'})"
            )
            self._finish(delivery, record, "refused")
            return
        try:
            body, headers = await delivery.render(now)
            delivery.body = body
            response = await self._http().post(
                delivery.url,
                content=json.dumps(body, separators=(",", ":")).encode(),
                headers={"content-type": "application/json", **headers},
                timeout=self.policy.timeout,
            )
            record["status"] = response.status_code
            ok = 200 <= response.status_code < 300
        except Exception as exc:  # a receiver that is down, slow or rude
            record["error"] = f"{type(exc).__name__}: {exc}"
            ok = False
        if ok:
            self._finish(delivery, record, "delivered")
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

    def _http(self) -> Any:
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(follow_redirects=False)
        return self._client
