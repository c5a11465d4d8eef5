"""Webhook delivery: asynchronous, retried with backoff, journaled, and fenced in.

A delivery is due when its job ends (its time is known at submit for clock-driven
jobs; a `polls` job ends when a read sees it end). The request path only pushes onto
a heap ordered by due time. On the server's event loop, a runner task moves what is
due onto a queue, and a pool of workers (started as work arrives) takes from it:
however many fall due at once, at most `concurrency` attempts are in flight, so
request serving is never starved and nothing is lost (a delivery that cannot go now
waits its turn, visible in `queue()`). Retries wait on the emulator's clock, so a
test moves the clock to make them happen. Each attempt (`webhook_delivery.attempt`)
goes out through the outbound port, which contacts only loopback and allow-listed
hosts; anything else is refused and journaled, never sent. At shutdown, what is due
is sent if it can be; the rest is journaled as dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mockserver.engine.clock import Clock
from mockserver.engine.journal import Journal, JournalEntry
from mockserver.engine.outbound import Outbound
from mockserver.engine.webhook_delivery import SETTLED as SETTLED
from mockserver.engine.webhook_delivery import Delivery as Delivery
from mockserver.engine.webhook_delivery import Render as Render
from mockserver.engine.webhook_delivery import State as State
from mockserver.engine.webhook_delivery import WebhookPolicy as WebhookPolicy
from mockserver.engine.webhook_delivery import attempt, new_record
from mockserver.engine.webhook_shared import SharedDeliveries

if TYPE_CHECKING:
    from mockserver.engine.store import HookSchedule

_MAX_REAL_WAIT = 30.0
# Real seconds between looks at a schedule other processes share.
_SHARED_RECHECK = 1.0


class Webhooks:
    def __init__(
        self,
        clock: Clock,
        journal: Journal,
        *,
        outbound: Callable[[], Outbound | None],
        allowed_hosts: tuple[str, ...] = (),
        policy: WebhookPolicy | None = None,
        shared: HookSchedule | None = None,
        revive: Callable[[dict[str, Any]], Render | None] | None = None,
    ) -> None:
        """`shared`: a schedule other processes send from too (deliveries made elsewhere
        come back to life through `revive`, which rebuilds their render)."""
        self.clock = clock
        self._shared = None if shared is None else SharedDeliveries(shared, revive, self._keep)
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
        self._workers: list[asyncio.Task[None]] = []
        self._queue: asyncio.Queue[tuple[Delivery, bool]] | None = None
        self._in_flight = 0
        self._delivered = 0
        self._closed = False

    # -- scheduling (any thread) -------------------------------------------

    def create(
        self,
        provider: str,
        job_id: str,
        url: str,
        render: Render,
        revival: Mapping[str, str] | None = None,
    ) -> Delivery:
        """A delivery for the job; `revival` says how another process rebuilds `render`."""
        shared = self._shared
        number = shared.schedule.number() if shared is not None else next(self._ids)
        delivery = Delivery(f"hook-{number}", provider, job_id, url, render)
        if shared is not None:
            shared.made(delivery, revival)
        self._keep(delivery)
        return delivery

    def _keep(self, delivery: Delivery) -> None:
        with self._lock:
            self._deliveries.append(delivery)

    def schedule(self, delivery: Delivery, due_at: float) -> None:
        """Send `delivery` once the clock reaches `due_at`."""
        with self._lock:
            if delivery.state != "waiting" or self._closed:
                return
            delivery.state, delivery.due_at = "due", due_at
            if self._shared is not None:
                self._shared.schedule.schedule(delivery.id, due_at)
            else:
                heapq.heappush(self._due, (due_at, next(self._order), delivery))
        self.notify()

    def job_ended(self, job_id: str, delivery: Delivery | None, now: float) -> None:
        """A read saw the job end: its delivery is due (with a shared schedule, whichever
        process made it)."""
        if delivery is None and self._shared is not None:
            found, delivery = self._shared.for_job(job_id)
            if found is not None and delivery is None:
                self._shared.schedule.schedule(found, now)
                self.notify()
                return
        if delivery is not None:
            self.schedule(delivery, now)

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
            self._stop(requeue=True)
            queue = self._pool(loop)
            self._wake = asyncio.Event()
            self._runner = loop.create_task(self._run(queue), name="grok-mock-webhooks")

    def _pool(self, loop: asyncio.AbstractEventLoop) -> asyncio.Queue[tuple[Delivery, bool]]:
        """The queue the workers on `loop` take from (with the lock); the workers start
        when there is work for them (`_staff`): most emulators never send a webhook, and
        a test's emulator lives for one test."""
        self._loop, self._queue = loop, asyncio.Queue()
        return self._queue

    def _staff(self, queue: asyncio.Queue[tuple[Delivery, bool]]) -> None:
        """Enough workers for what is queued and in flight, up to the pool's size (on the
        loop, after queuing)."""
        with self._lock:
            if queue is not self._queue or self._loop is None:
                return
            wanted = min(self.policy.concurrency, queue.qsize() + self._in_flight)
            for n in range(len(self._workers), wanted):
                task = self._loop.create_task(self._work(queue), name=f"grok-mock-webhook-{n}")
                self._workers.append(task)

    def _stop(self, *, requeue: bool) -> None:
        """Stop the runner and workers of the loop that served until now (with the lock)."""
        loop, queue = self._loop, self._queue
        tasks = [t for t in (self._runner, *self._workers) if t is not None]
        self._runner, self._workers, self._queue = None, [], None
        if requeue and queue is not None:
            # The emulator is now served from another loop (another server): what was
            # queued there goes back on the heap, due now, for the new workers.
            now = self.clock.now()
            while not queue.empty():
                delivery, _ = queue.get_nowait()
                heapq.heappush(self._due, (now, next(self._order), delivery))
        if loop is not None and not loop.is_closed():
            for task in tasks:
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    loop.call_soon_threadsafe(task.cancel)

    # -- reading -----------------------------------------------------------

    def deliveries(self, job_id: str | None = None) -> list[Delivery]:
        with self._lock:
            return [d for d in self._deliveries if job_id is None or d.job_id == job_id]

    @property
    def pending(self) -> int:
        """Deliveries scheduled or queued and not yet attempted (or waiting for a retry)."""
        if self._shared is not None:
            return sum(self._shared.schedule.counts(self.clock.now()))
        with self._lock:
            queue = self._queue
            return len(self._due) + (queue.qsize() if queue is not None else 0)

    def queue(self) -> dict[str, int]:
        """Where the unsettled deliveries are: on the clock, waiting a worker, being sent."""
        if self._shared is not None:
            later, due = self._shared.schedule.counts(self.clock.now())
            return {
                "scheduled": later,
                "due": max(0, due - self._in_flight),
                "in_flight": self._in_flight,
                "workers": self.policy.concurrency,
            }
        with self._lock:
            now = self.clock.now()
            later = sum(1 for due_at, _, _ in self._due if due_at > now)
            queue = self._queue
            return {
                "scheduled": later,
                "due": len(self._due) - later + (queue.qsize() if queue is not None else 0),
                "in_flight": self._in_flight,
                "workers": self.policy.concurrency,
            }

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
            self._stop(requeue=False)
            self._loop = self._wake = None

    async def drain(self, seconds: float) -> tuple[int, int]:
        """At shutdown: send what is due within `seconds`; journal the rest as dropped.

        Answers (delivered during the drain, dropped).
        """
        here = asyncio.get_running_loop()
        with self._lock:
            self._closed = True
            if self._loop is not here:  # never served from this loop: workers for the drain
                self._stop(requeue=True)
                self._pool(here)
            elif self._runner is not None:
                self._runner.cancel()
            queue = self._queue
        assert queue is not None
        delivered = self._delivered
        # The workers send what is due now, without retries (closed), then stop; with a
        # shared schedule what this process holds is left to the others (nothing dropped).
        if self._shared is None:
            for delivery in self._pop_due():
                queue.put_nowait((delivery, False))
        self._staff(queue)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(queue.join(), seconds)
        with self._lock:
            workers = self._workers
            self._stop(requeue=False)
            left = [d for d in self._deliveries if d.state not in SETTLED]
            self._due.clear()
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        if self._shared is not None:
            for delivery in left:
                if delivery.state == "due":  # leased here: due again for the others now
                    self._shared.schedule.schedule(delivery.id, delivery.due_at or self.clock.now())
            return self._delivered - delivered, 0
        for delivery in left:
            record = new_record(len(delivery.attempts) + 1, self.clock.now())
            record["error"] = "dropped: the emulator shut down before it could be sent"
            self._finish(delivery, record, "dropped")
        return self._delivered - delivered, len(left)

    # -- the runner (event loop thread) ------------------------------------

    async def _run(self, queue: asyncio.Queue[tuple[Delivery, bool]]) -> None:
        wake = self._wake
        assert wake is not None
        while True:
            wake.clear()
            for delivery in self._pop_due():
                queue.put_nowait((delivery, True))
            self._staff(queue)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(wake.wait(), self._real_wait())

    async def _work(self, queue: asyncio.Queue[tuple[Delivery, bool]]) -> None:
        while True:
            delivery, retry = await queue.get()
            self._in_flight += 1
            try:
                # Closed (shutting down): no retries, unless other processes share the
                # schedule and will make them.
                await self._send(delivery, retry and (not self._closed or bool(self._shared)))
            except asyncio.CancelledError:
                # Stopped mid-attempt (a reset, or another loop took over): the delivery
                # is not lost, it is due again wherever the emulator is served next.
                self._requeue(delivery)
                raise
            finally:
                self._in_flight -= 1
                queue.task_done()
                if self._shared is not None and self._wake is not None:
                    self._wake.set()  # room for more of the shared schedule

    def _requeue(self, delivery: Delivery) -> None:
        with self._lock:
            if self._closed or delivery.state in SETTLED:
                return
            heapq.heappush(self._due, (self.clock.now(), next(self._order), delivery))
        self.notify()

    def _pop_due(self) -> list[Delivery]:
        now = self.clock.now()
        if self._shared is not None:
            return self._lease_due(now)
        ready = []
        with self._lock:
            while self._due and self._due[0][0] <= now:
                ready.append(heapq.heappop(self._due)[2])
        return ready

    def _lease_due(self, now: float) -> list[Delivery]:
        """Due deliveries from the shared schedule, as many as the workers have room for,
        each leased to this process for longer than its attempt may take."""
        assert self._shared is not None
        queue = self._queue
        room = 2 * self.policy.concurrency - self._in_flight - (queue.qsize() if queue else 0)
        return self._shared.lease(now, room, 2 * self.policy.timeout + 5)

    def _real_wait(self) -> float | None:
        """Real seconds until the next delivery on a wall clock; None waits for a nudge."""
        if self._shared is not None and self.clock.realtime:
            return _SHARED_RECHECK  # other processes schedule (and move the clock) unseen
        with self._lock:
            if not self._due or not self.clock.realtime:
                return None
            return min(_MAX_REAL_WAIT, max(0.0, self._due[0][0] - self.clock.now()))

    async def _send(self, delivery: Delivery, retry: bool) -> None:
        now = self.clock.now()
        number = len(delivery.attempts) + 1
        record, verdict = await attempt(
            delivery, self._outbound(), self.policy, self.allowed_hosts, number, now
        )
        if verdict == "refused":
            self._finish(delivery, record, "refused")
        elif verdict == "delivered":
            self._delivered += 1
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
        if self._shared is not None:
            self._shared.recorded(delivery, state)
