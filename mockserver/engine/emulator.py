"""The emulated world every provider surface runs on: no HTTP in here.

One `Emulator` holds a clock, accounts, jobs, scenario rules, media and the
journal. Many can live in one process; nothing is module-level state.

Ownership: the emulator is the one owner of its state. Requests arrive on many
threads at once (a server's loop, each synchronous client's own loop in
process, the webhook runner, a test's thread), so every public operation that
reads or changes state takes the emulator's re-entrant lock for one
synchronous step and never holds it across an await. The journal and the
webhook schedule, which readers poll while requests run, keep locks of their
own; locks are only taken in the order emulator, webhooks, journal.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from contracts import CONTRACTS, Contract, producible_sizes
from mockserver.engine.accounts import Account
from mockserver.engine.bank import Bank
from mockserver.engine.chaos import ChaosEntry, LatencyEntry
from mockserver.engine.clock import Clock, SystemClock
from mockserver.engine.desk import JobDesk
from mockserver.engine.director import Director
from mockserver.engine.errors import MockUsageError, Refusal
from mockserver.engine.ids import IdSource
from mockserver.engine.jobs import Job
from mockserver.engine.journal import Journal
from mockserver.engine.media import MediaDesk, MediaRef, signing_key
from mockserver.engine.outbound import Outbound
from mockserver.engine.owned import owned
from mockserver.engine.planner import JobOrder, Planner, checked_profile
from mockserver.engine.scenarios import Choice, RequestFacts, ScenarioRule
from mockserver.engine.settings import Settings, enforced_limits
from mockserver.engine.store import Jobs, State, memory_state
from mockserver.engine.texts import Texts
from mockserver.engine.webhooks import Render, Webhooks


class Emulator:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        clock: Clock | None = None,
        outbound: Outbound | None = None,
        state: State | str | None = None,
        **overrides: Any,
    ) -> None:
        """`state`: where what requests change lives (this process unless given, e.g.
        `mockserver.engine.store_redis.redis_state(...)`, shared with other processes);
        a URL (`redis://HOST:PORT/DB`) is the `state` setting, as in the config file."""
        if isinstance(state, str):
            overrides["state"], state = state, None
        base = settings or Settings()
        settings = replace(base, **overrides) if overrides else base
        if state is None and settings.state is not None:
            from mockserver.engine.store_redis import open_state

            state, shared_clock = open_state(settings.state, settings.state_namespace)
            clock = clock or shared_clock
        self._state = state
        # Rebuilds the render of a webhook another process made (the server layer sets it).
        self.revive_webhook: Callable[[dict[str, Any]], Render | None] | None = None
        self.lock = threading.RLock()
        self.clock: Clock = clock or SystemClock()
        # The way out for webhooks and input images; the server layer provides it.
        self.outbound = outbound
        self._webhook_loop: asyncio.AbstractEventLoop | None = None
        shared_key = state.media_secret if state is not None else None
        self._media_secret = signing_key(settings.media_secret, shared_key)
        self._configure(settings)
        self.clock.subscribe(self._clock_moved)

    def _clock_moved(self) -> None:
        self.sweep()
        self.webhooks.notify()

    @owned
    def sweep(self) -> None:
        """Evict the job records past their retention now, settling any charge still
        open (media holds nothing per job: its URLs carry their expiry). Requests do it
        on the way, a clock move does it, and a server does it on a timer, so nothing
        waits for a request to be forgotten."""
        self.desk.sweep(self.clock.now())

    @owned
    def _configure(self, settings: Settings) -> None:
        self.settings = settings
        self.contracts: dict[str, Contract] = {
            p: CONTRACTS[p].in_variant(settings.variants.get(p)) for p in settings.providers
        }
        self.profile = settings.profile
        state = self._state if self._state is not None else memory_state()
        if hasattr(self, "bank"):  # a reset: the store forgets too
            state.clear()
        self.ids = IdSource(settings.seed, numbers=state.numbers)
        # Ids of answers rather than jobs (request and trace ids in headers and messages).
        self.traces = IdSource(settings.seed, stream="traces", numbers=state.numbers)
        self.texts = Texts(settings.seed)
        previous_media: MediaDesk | None = getattr(self, "media", None)
        images = previous_media.images if previous_media is not None else None
        # Each reset signs media with a key of its own, so older URLs die with it; a
        # shared state keeps one key (other processes cannot know of this reset's).
        self._epoch = 0 if self.shared else getattr(self, "_epoch", -1) + 1
        self.media = MediaDesk(self._media_secret, producible_sizes(), images, epoch=self._epoch)
        self.jobs: Jobs = state.jobs
        self.journal = Journal(settings.journal_size, shared=state.journal)
        self.director = Director(self.contracts, self.clock, settings.seed, state.rules)
        self.rules = self.director.rules
        self.bank = Bank(settings, self.contracts, state.billing, settled=state.jobs.settled)
        self.accounts = self.bank.accounts
        self.webhooks = self._webhooks(settings, state)
        self.desk = JobDesk(
            clock=self.clock,
            contracts=self.contracts,
            jobs=self.jobs,
            bank=self.bank,
            planner=Planner(self.contracts, settings),
            ids=self.ids,
            director=self.director,
            webhooks=self.webhooks,
            shared=self.shared,
        )
        self.director.set_chaos(settings.chaos)
        self.director.set_latency(settings.latency)
        self._tuned_version = 0
        if state.first_setup():  # a store others share already has the file's rules
            for rule in settings.rules:
                self.director.queue(**rule)
            self._publish_tuned()
        else:
            self.sync()

    def _webhooks(self, settings: Settings, state: State) -> Webhooks:
        """A fresh sender (the previous one, if any, stops; its pending deliveries go),
        sending from the loop it was given a home on."""
        previous: Webhooks | None = getattr(self, "webhooks", None)
        if previous is not None:
            previous.close()
        webhooks = Webhooks(
            self.clock,
            self.journal,
            outbound=lambda: self.outbound,
            allowed_hosts=settings.allowed_hosts,
            policy=settings.webhook_policy(),
            shared=state.hooks,
            revive=lambda spec: self.revive_webhook(spec) if self.revive_webhook else None,
        )
        if self._webhook_loop is not None:
            webhooks.home(self._webhook_loop)
        return webhooks

    def deliver_webhooks_from(self, loop: asyncio.AbstractEventLoop) -> None:
        """Send webhooks from `loop` (long-lived), whatever loops serve the requests."""
        self._webhook_loop = loop
        self.webhooks.home(loop)

    @property
    def seed(self) -> int:
        return self.settings.seed

    @owned
    def reset(self, *, seed: int | None = None, profile: str | None = None) -> None:
        """Forget every job, rule, account change and journal entry; rewind the clock."""
        changes: dict[str, Any] = {}
        if seed is not None:
            changes["seed"] = seed
        if profile is not None:
            changes["profile"] = profile
        settings = replace(self.settings, **changes) if changes else self.settings
        self.clock.reset()
        self._configure(settings)

    @owned
    def set_profile(self, profile: str) -> None:
        """The profile new jobs follow; jobs already submitted keep theirs."""
        self.profile = checked_profile(profile)
        self._publish_tuned()

    @property
    def shared(self) -> bool:
        """Whether other processes share this emulator's state."""
        return self._state is not None and self._state.shared

    def sync(self) -> None:
        """Take what other processes changed since the last request: the clock's offset
        and the tuned tables (a shared state only; a request begins with this)."""
        state = self._state
        pulled = state.pull() if state is not None and state.pull is not None else None
        clock_sync = getattr(self.clock, "sync", None)
        if pulled is None and clock_sync is not None:
            clock_sync()
        tunables = state.tunables if state is not None else None
        if tunables is None:
            return
        version, tuned = tunables.changed(self._tuned_version, pulled)
        if tuned is not None:
            with self.lock:
                self.profile = checked_profile(tuned["profile"])
                self.director.set_tables(tuned)
        self._tuned_version = version

    def _publish_tuned(self) -> None:
        tunables = self._state.tunables if self._state is not None else None
        if tunables is not None:
            tunables.save({"profile": self.profile, **self.director.tables()})

    def advance(self, seconds: float) -> float:
        try:
            self.clock.advance(seconds)
        except (TypeError, ValueError, OverflowError) as exc:
            raise MockUsageError(str(exc)) from None
        return self.clock.now()

    def contract(self, provider: str) -> Contract:
        return self.director.contract(provider)

    # -- scenarios (the director decides) -----------------------------------

    @property
    def available(self) -> dict[str, list[str]]:
        """Per provider, every scenario it can show."""
        return self.director.available

    @owned
    def queue_scenario(self, scenario: str, **match: Any) -> ScenarioRule:
        """The next `times` matching requests play `scenario` (times=None: until removed).

        Match on provider, operation, model, key, prompt (a regex searched in the
        prompt); `expires_in` ends the rule after that many seconds.
        """
        return self.director.queue(scenario, **match)

    @owned
    def set_chaos(self, entries: Iterable[ChaosEntry | Mapping[str, Any]]) -> None:
        """Replace the chaos table: each entry plays `scenario` with `probability`."""
        self.director.set_chaos(entries)
        self._publish_tuned()

    @owned
    def set_latency(self, entries: Iterable[LatencyEntry | Mapping[str, Any]]) -> None:
        """Replace the latency table: the first entry matching a request delays it."""
        self.director.set_latency(entries)
        self._publish_tuned()

    @owned
    def choose(self, facts: RequestFacts, *, header: str | None) -> Choice:
        """The scenario `facts` plays out (a rule is consumed only by `commit`)."""
        return self.director.choose(facts, header=header)

    @owned
    def delay(self, facts: RequestFacts) -> float:
        """Seconds of latency this request waits before it is handled."""
        return self.director.latency.delay(facts)

    @owned
    def commit(self, choice: Choice) -> None:
        self.director.commit(choice)

    @owned
    def release(self, choice: Choice) -> None:
        """The request ends without playing its choice: a claimed rule use goes back."""
        self.director.release(choice)

    def refuse(self, choice: Choice, **fields: Any) -> Refusal:
        """The refusal a refusal-kind choice stands for, its rule consumed."""
        self.commit(choice)
        return Refusal(choice.scenario, **fields)

    # -- accounts (the bank applies the contracts' billing rules) -------------

    def authenticate(self, provider: str, key: str | None) -> Account:
        # Without the lock (every request asks, first): reading an account changes
        # nothing, and a first use opens it in one step (`open_account`).
        return self.bank.authenticate(provider, key)

    @owned
    def set_balance(self, provider: str, key: str, balance: Any) -> Account:
        self.contract(provider)
        return self.bank.set_balance(provider, key, balance)

    @owned
    def set_webhook_key(self, provider: str, key: str, secret: str | None) -> Account:
        """Sign `key`'s callbacks with `secret` (None: unsigned)."""
        return self.bank.set_webhook_key(provider, key, secret)

    @owned
    def account(self, provider: str, key: str) -> Account | None:
        """The account with every finished job's charge settled."""
        return self.bank.account(provider, key, self.clock.now(), self.jobs.held)

    @owned
    def active_jobs(self, account: Account) -> int:
        """The account's jobs that have not ended yet."""
        return self.bank.active(account, self.clock.now(), self.jobs.held)

    def limits(self, provider: str) -> tuple[int | None, int | None]:
        """(concurrent, per hour) as enforced now for `provider`; None where not enforced."""
        return enforced_limits(self.contracts[provider], self.settings, self.profile)

    # -- jobs --------------------------------------------------------------

    @owned
    def open_job(self, order: JobOrder) -> Job:
        """Accept a job: check the caller's limits and credit, hold its price, plan its
        life and store it, under an id in the contract's format (an insufficient-credits
        refusal otherwise, before an id is drawn)."""
        return self.desk.open(order, self.profile)

    @owned
    def find_job(self, provider: str, job_id: str, account: Account) -> Job | None:
        """The caller's job, or None when unknown, expired or someone else's."""
        return self.desk.find(provider, job_id, account)

    @owned
    def read_job(self, provider: str, job_id: str, account: Account) -> tuple[Job, int] | None:
        """A client's read, in one step: the caller's job and its phase now (the read
        counted); None when `find_job` finds nothing, the job cannot be polled, or it
        does not show yet (record-not-ready spends one hidden read)."""
        return self.desk.read(provider, job_id, account)

    @owned
    def job(self, job_id: str) -> Job | None:
        """Any live job, whoever owns it (for the admin API and tests)."""
        return self.jobs.get(job_id, self.clock.now())

    @owned
    def discard_state(self) -> None:
        """Remove the state from a shared store altogether (a test's own namespace)."""
        if self._state is not None and self._state.discard is not None:
            self.webhooks.close()
            self._state.discard()

    @owned
    def held_job(self, job_id: str) -> Job | None:
        """The job while its record is held, past retention or not (a webhook's render)."""
        return self.jobs.held(job_id)

    @owned
    def job_summary(self, job_id: str) -> dict[str, Any] | None:
        """A provider-neutral view of a live job, or None."""
        job = self.jobs.get(job_id, self.clock.now())
        return None if job is None else job.summary(self.clock.now())

    @owned
    def observe(self, job: Job, *, count_read: bool = True) -> int:
        """The job's phase now; settles its charge once it is terminal."""
        return self.desk.observe(job, count_read)

    @owned
    def attach_webhook(
        self, job: Job, url: str, render: Render, revival: Mapping[str, str] | None = None
    ) -> None:
        """POST `render`'s body to `url` once the job ends (and retry if it must);
        `revival` tells another process sharing the state how to render it."""
        job.webhook = self.webhooks.create(job.provider, job.id, url, render, revival)
        duration = job.timeline.duration
        if duration is not None:
            self.webhooks.schedule(job.webhook, job.created_at + duration)

    async def wait_sync(self, job: Job) -> int:
        """Let a synchronous call take its job's time; a job that never ends times out."""
        duration = job.timeline.duration
        if duration is None:
            await self.clock.sleep(self.settings.sync_timeout)
            raise Refusal("gateway-timeout")
        await self.clock.sleep(duration)
        with self.lock:
            # The sleep may wake a hair early against the wall clock; a finished
            # synchronous call means a finished job.
            job.observe(max(self.clock.now(), job.created_at + duration))
            return self.observe(job, count_read=False)

    @owned
    def settle_due(self) -> None:
        self.bank.settle_due(self.clock.now(), self.jobs.held)

    # -- media -------------------------------------------------------------

    def media_refs(self, job: Job) -> list[MediaRef]:
        return self.media.refs(job.id, job.media, job.media_expires_at)

    def media_token(self, ref: MediaRef) -> str:
        return self.media.signer.token(ref)

    def resolve_media(self, job_id: str, token: str) -> MediaRef | None:
        """The media a URL names, or None when it is not ours, unknown or past retention."""
        return self.media.resolve(job_id, token, self.clock.now())

    def media_bytes(self, provider: str, ref: MediaRef) -> bytes:
        return self.media.image(provider, ref)

    def cached_media_bytes(self, provider: str, ref: MediaRef) -> bytes | None:
        """The bytes when no rendering is needed (safe on an event loop), else None."""
        return self.media.cached_image(provider, ref)
