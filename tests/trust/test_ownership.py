"""One emulator hammered from many threads, each with its own event loop, as in-process
clients are: submits with webhooks, polls, journal and admin reads, clock moves. Every
job must settle exactly once, the journal must hold every request once, in order, and
every webhook must arrive once."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from mockserver import Emulator, ManualClock, create_app
from mockserver.app import MockApp
from mockserver.engine import accounts
from mockserver.engine.accounts import Account
from pytest_plugin._portal import Portal
from pytest_plugin.receiver import WebhookReceiver
from tests.pixazo.test_pixazo import T2I

SEGMIND = "/segmind/v2/grok-imagine-image"
KEYS = ("key-a", "key-b")
ROUNDS = 20
OPS = 40


class Hammer:
    def __init__(self, app: MockApp, receiver: WebhookReceiver, seed: int) -> None:
        self.app = app
        self.emulator = app.emulator
        self.receiver = receiver
        self.rng = random.Random(seed)
        self.jobs: list[tuple[str, str, str]] = []  # (provider, id, key)
        self.requests = 0
        self.failures: list[str] = []
        self.lock = threading.Lock()

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://testserver"
        )

    def note(self, response: httpx.Response, what: str, *, journaled: bool = True) -> None:
        with self.lock:
            self.requests += journaled
            if response.status_code >= 500:
                self.failures.append(f"{what}: {response.status_code} {response.text[:200]}")

    async def submit(self, client: httpx.AsyncClient, index: int) -> None:
        key = KEYS[(index // 2) % len(KEYS)]
        if index % 2:
            headers = {"Ocp-Apim-Subscription-Key": key, "X-Webhook-URL": self.receiver.url}
            response = await client.post(T2I, json={"prompt": "p"}, headers=headers)
            provider = "pixazo"
        else:
            headers = {"x-api-key": key}
            response = await client.post(SEGMIND, json={"prompt": "p", "n": 2}, headers=headers)
            provider = "segmind"
        self.note(response, "submit")
        if response.status_code < 300:
            with self.lock:
                self.jobs.append((provider, response.json()["request_id"], key))

    async def poll(self, client: httpx.AsyncClient) -> None:
        with self.lock:
            if not self.jobs:
                return
            provider, job_id, key = self.rng.choice(self.jobs)
        if provider == "pixazo":
            url = f"/pixazo/v2/requests/status/{job_id}"
            response = await client.get(url, headers={"Ocp-Apim-Subscription-Key": key})
        else:
            url = f"/segmind/v2/requests/{job_id}"
            response = await client.get(url, headers={"x-api-key": key})
        self.note(response, "poll")
        admin = await client.get(f"/__mock/jobs/{job_id}")
        self.note(admin, "admin job", journaled=False)

    async def read_journal(self, client: httpx.AsyncClient) -> None:
        journal = self.emulator.journal
        journal.query(provider="pixazo")
        journal.jsonl()
        journal.tail(5)
        journal.count(operation="v2.submit")
        for path in ("/__mock/journal?limit=50", "/__mock/webhooks", "/__mock/journal/count"):
            self.note(await client.get(path), path, journaled=False)


def run_threads(workers: list[Callable[[], Any]]) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(work: Callable[[], Any]) -> None:
        try:
            work()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def home_loop() -> Iterator[asyncio.AbstractEventLoop]:
    portal = Portal()  # the plugin's long-lived loop, where webhooks go out from
    yield portal.loop
    portal.close()


@pytest.mark.parametrize(
    "round_",
    [pytest.param(r, marks=[pytest.mark.slow] if r else []) for r in range(ROUNDS)],
)
def test_many_threads_one_emulator(
    round_: int, receiver: WebhookReceiver, home_loop: asyncio.AbstractEventLoop
) -> None:
    clock = ManualClock()
    emulator = Emulator(clock=clock, profile="fast", seed=round_, journal_size=100_000)
    emulator.deliver_webhooks_from(home_loop)
    hammer = Hammer(create_app(emulator), receiver, round_)

    def loop_of(work: Callable[[httpx.AsyncClient, int], Any]) -> Callable[[], None]:
        async def many() -> None:
            async with hammer.client() as client:
                for index in range(OPS):
                    await work(client, index)

        return lambda: asyncio.run(many())

    def move_clock() -> None:
        for _ in range(OPS):
            emulator.advance(0.05)
            emulator.account("segmind", KEYS[0])

    errors = run_threads(
        [
            *[loop_of(lambda c, i, s=s: hammer.submit(c, i * 4 + s)) for s in range(4)],
            *[loop_of(lambda c, i: hammer.poll(c)) for _ in range(2)],
            loop_of(lambda c, i: hammer.read_journal(c)),
            move_clock,
        ]
    )
    assert errors == []
    assert hammer.failures == []

    clock.advance(60)  # every job ends; every webhook is due
    emulator.settle_due()
    pixazo_jobs = {j for p, j, _ in hammer.jobs if p == "pixazo"}
    delivered = receiver.wait(len(pixazo_jobs), timeout=20)
    settled = emulator.webhooks.wait(len(pixazo_jobs), timeout=20)  # its side recorded too
    assert [d.state for d in settled] == ["delivered"] * len(pixazo_jobs)
    # Each job settled exactly once: balances moved by exactly what succeeded.
    for provider in ("pixazo", "segmind"):
        for key in KEYS:
            account = emulator.account(provider, key)
            assert account is not None
            cost = sum(
                (
                    job.cost
                    for job in emulator.jobs
                    if (job.provider, job.account) == (provider, key)
                ),
                Decimal(0),
            )
            assert account.held == 0, (provider, key)
            assert account.spent == cost, (provider, key)
            assert account.balance == Decimal(10000) - cost, (provider, key)
    assert all(job.settled for job in emulator.jobs)
    # One webhook per Pixazo job, each delivered once, no more attempts than that.
    assert sorted(d.json["request_id"] for d in delivered) == sorted(pixazo_jobs)
    assert len(receiver.attempts) == len(pixazo_jobs)
    # The journal holds every request once, numbered without gaps.
    entries = list(emulator.journal)
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert len([e for e in entries if e.operation != "webhook"]) == hammer.requests
    assert len([e for e in entries if e.operation == "webhook"]) == len(pixazo_jobs)


def test_threads_opening_one_account_at_once_all_get_the_one_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Authentication takes no lock (every request asks first): a first use from many
    # threads at once must still open one account, or a hold placed on a copy is lost.
    # Making an account is slowed down so every thread is inside that window together.
    def slow_account(*args: Any, **kwargs: Any) -> Account:
        time.sleep(0.01)
        return Account(*args, **kwargs)

    monkeypatch.setattr(accounts, "Account", slow_account)
    emulator = Emulator(clock=ManualClock())
    barrier = threading.Barrier(8)
    seen: list[Account] = []

    def first_use() -> None:
        barrier.wait()
        seen.append(emulator.authenticate("segmind", "fresh"))

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kept = emulator.account("segmind", "fresh")
    assert kept is not None
    assert len(seen) == 8
    assert all(account is kept for account in seen)
