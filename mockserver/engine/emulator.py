"""The emulated world every provider surface runs on: no HTTP in here.

One `Emulator` holds a clock, accounts, jobs, scenario rules, media and the
journal. Many can live in one process; nothing is module-level state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from contracts import CONTRACTS, TIMING_SCENARIOS, Contract
from mockserver.engine.accounts import Account, Accounts
from mockserver.engine.chaos import ChaosEntry, LatencyEntry
from mockserver.engine.clock import Clock, SystemClock
from mockserver.engine.director import Director
from mockserver.engine.errors import MockUsageError, Refusal
from mockserver.engine.ids import IdSource
from mockserver.engine.imaging import ImageFactory
from mockserver.engine.jobs import Job, JobStore, MediaPlan, Outcome
from mockserver.engine.journal import Journal
from mockserver.engine.lifecycle import check_profile, plan
from mockserver.engine.media import MediaRef, MediaSigner
from mockserver.engine.scenarios import Choice, ScenarioRule
from mockserver.engine.settings import (
    Settings,
    effective_durations,
    effective_retention,
    to_amount,
)
from mockserver.engine.webhooks import Render, WebhookPolicy, Webhooks


@dataclass(frozen=True, slots=True)
class MediaRequest:
    width: int
    height: int
    format: str
    count: int


def format_amount(amount: Decimal) -> str:
    text = f"{amount:.6f}".rstrip("0").rstrip(".")
    return text or "0"


class Emulator:
    def __init__(
        self, settings: Settings | None = None, *, clock: Clock | None = None, **overrides: Any
    ) -> None:
        base = settings or Settings()
        self.clock: Clock = clock or SystemClock()
        self.images = ImageFactory()
        self._webhook_loop: asyncio.AbstractEventLoop | None = None
        self._configure(replace(base, **overrides) if overrides else base)
        self.clock.subscribe(self._clock_moved)

    def _clock_moved(self) -> None:
        self.webhooks.notify()

    def _configure(self, settings: Settings) -> None:
        self.settings = settings
        self.contracts: dict[str, Contract] = {p: CONTRACTS[p] for p in settings.providers}
        self.profile = settings.profile
        self.ids = IdSource(settings.seed)
        self.signer = MediaSigner(self.ids.secret("media"))
        self.jobs = JobStore()
        self.journal = Journal(settings.journal_size)
        self.director = Director(self.contracts, self.clock, settings.seed)
        self.rules = self.director.rules
        self._durations = {p: effective_durations(c, settings) for p, c in self.contracts.items()}
        self._retention = {p: effective_retention(c, settings) for p, c in self.contracts.items()}
        self.accounts = Accounts(
            settings.default_balance, settings.keys, settings.webhook_keys, settings.balances
        )
        self._unsettled: dict[str, Job] = {}
        previous: Webhooks | None = getattr(self, "webhooks", None)
        if previous is not None:
            previous.close()
        self.webhooks = Webhooks(
            self.clock,
            self.journal,
            allowed_hosts=settings.allowed_hosts,
            policy=WebhookPolicy(
                settings.webhook_attempts, settings.webhook_backoff, settings.webhook_timeout
            ),
        )
        if self._webhook_loop is not None:
            self.webhooks.home(self._webhook_loop)
        self.director.set_chaos(settings.chaos)
        self.director.set_latency(settings.latency)
        for rule in settings.rules:
            self.director.queue(**rule)

    def deliver_webhooks_from(self, loop: asyncio.AbstractEventLoop) -> None:
        """Send webhooks from `loop` (long-lived), whatever loops serve the requests."""
        self._webhook_loop = loop
        self.webhooks.home(loop)

    @property
    def seed(self) -> int:
        return self.settings.seed

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

    def set_profile(self, profile: str) -> None:
        """The profile new jobs follow; jobs already submitted keep theirs."""
        self.profile = self._checked_profile(profile)

    @staticmethod
    def _checked_profile(profile: str) -> str:
        try:
            return check_profile(profile)
        except ValueError as exc:
            raise MockUsageError(str(exc)) from None

    def advance(self, seconds: float) -> float:
        try:
            self.clock.advance(seconds)
        except (TypeError, ValueError) as exc:
            raise MockUsageError(str(exc)) from None
        return self.clock.now()

    def contract(self, provider: str) -> Contract:
        return self.director.contract(provider)

    # -- scenarios (the director decides) -----------------------------------

    @property
    def available(self) -> dict[str, list[str]]:
        """Per provider, every scenario it can show."""
        return self.director.available

    def queue_scenario(self, scenario: str, **match: Any) -> ScenarioRule:
        """The next `times` matching requests play `scenario` (times=None: until removed).

        Match on provider, operation, model, key, prompt (a regex searched in the
        prompt); `expires_in` ends the rule after that many seconds.
        """
        return self.director.queue(scenario, **match)

    def set_chaos(self, entries: Iterable[ChaosEntry | Mapping[str, Any]]) -> None:
        """Replace the chaos table: each entry plays `scenario` with `probability`."""
        self.director.set_chaos(entries)

    def set_latency(self, entries: Iterable[LatencyEntry | Mapping[str, Any]]) -> None:
        """Replace the latency table: the first entry matching a request delays it."""
        self.director.set_latency(entries)

    def commit(self, choice: Choice) -> None:
        self.director.commit(choice)

    def refuse(self, choice: Choice, **fields: Any) -> Refusal:
        """The refusal a refusal-kind choice stands for, its rule consumed."""
        self.commit(choice)
        return Refusal(choice.scenario, **fields)

    # -- accounts ----------------------------------------------------------

    def authenticate(self, provider: str, key: str | None) -> Account:
        if not key:
            raise Refusal("missing-key")
        account = self.accounts.authenticate(provider, key)
        if account is None:
            raise Refusal("unauthorized")
        return account

    def set_balance(self, provider: str, key: str, balance: Any) -> Account:
        self.contract(provider)
        if not key:
            raise MockUsageError("the API key must not be empty")
        return self.accounts.set_balance(provider, key, to_amount(balance, "balance"))

    def set_webhook_key(self, provider: str, key: str, secret: str | None) -> Account:
        """Sign `key`'s callbacks with `secret` (None: unsigned)."""
        account = self.accounts.authenticate(provider, key) or self.set_balance(
            provider, key, self.settings.default_balance
        )
        account.webhook_key = secret or None
        return account

    def charge(self, account: Account, amount: Decimal) -> Decimal:
        """Bill a flat fee at once (never below a zero balance); answers what was taken."""
        taken = min(Decimal(amount), max(account.available, Decimal(0)))
        account.balance -= taken
        account.spent += taken
        return taken

    def account(self, provider: str, key: str) -> Account | None:
        """The account with every finished job's charge settled."""
        account = self.accounts.get(provider, key)
        if account is not None:
            self.settle_due(account)
        return account

    # -- jobs --------------------------------------------------------------

    def open_job(
        self,
        *,
        provider: str,
        operation: str,
        model: str,
        account: Account,
        params: dict[str, Any],
        media: MediaRequest,
        price_per_image: Decimal,
        choice: Choice,
        job_id: str | None = None,
        failure: str | None = None,
        profile: str | None = None,
        sync: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> Job:
        """Accept a job: hold its price, plan its life, store it.

        `failure` makes the job fail with that message whatever the scenario
        (input the provider only rejects once the job runs).
        """
        now = self.clock.now()
        self._sweep(now)
        contract = self.contracts[provider]
        job_profile = self._checked_profile(profile or self.profile)
        if sync and job_profile == "polls":
            job_profile = "instant"
        price_per_image = self.settings.prices.get(provider, {}).get(model, price_per_image)
        cost = price_per_image * media.count
        self._check_limits(contract, account, now)
        forced = choice.scenario == "insufficient-credits"
        if forced or not Accounts.hold(account, cost):
            if forced:
                self.commit(choice)
            raise Refusal(
                "insufficient-credits",
                balance=format_amount(account.available),
                required=format_amount(cost),
            )
        self.commit(choice)
        rng = self.ids.job_rng()
        timing = choice.scenario if choice.scenario in TIMING_SCENARIOS else None
        phases = len(contract.lifecycle.phases)
        timeline = plan(job_profile, phases, self._durations[provider], rng, timing=timing)
        record_seconds, media_seconds = self._retention[provider]
        expired = timing == "expired"
        job = Job(
            id=job_id or self.ids.uuid4(),
            provider=provider,
            operation=operation,
            model=model,
            account=account.key,
            params=params,
            created_at=now,
            timeline=timeline,
            outcome=self._outcome(contract, choice.scenario, failure),
            media=MediaPlan(
                media.width, media.height, media.format, media.count, rng.randrange(256)
            ),
            expires_at=now if expired else now + record_seconds,
            media_expires_at=now if expired else now + media_seconds,
            cost=cost,
            profile=job_profile,
            scenario=choice.scenario,
            scenario_source=choice.source,
            extra={"seed": rng.randrange(1, 2**31), **(extra or {})},
        )
        self.jobs.add(job)
        self._unsettled[job.id] = job
        account.created.append(now)
        return job

    def limits(self, provider: str) -> tuple[int | None, int | None]:
        """(concurrent, per hour) as enforced now for `provider`; None where not enforced.

        Documented limits apply in the realistic profile; limits set for a provider
        in the settings apply in every profile (`enforce_limits` overrides both).
        """
        contract = self.contracts[provider]
        override = self.settings.limits.get(provider, {})
        enforce = self.settings.enforce_limits
        if enforce is None:
            enforce = self.profile == "realistic" or bool(override)
        documented = contract.limits
        if not enforce:
            return None, None
        return (
            override.get("concurrent", documented.concurrent if documented else None),
            override.get("per_hour", documented.per_hour if documented else None),
        )

    def _check_limits(self, contract: Contract, account: Account, now: float) -> None:
        concurrent, per_hour = self.limits(contract.provider)
        if concurrent is not None and self.active_jobs(account) >= concurrent:
            raise Refusal(
                "limit-exceeded", limit=f"at most {concurrent} concurrent tasks per account"
            )
        if per_hour is not None and account.created_within(now, 3600) >= per_hour:
            raise Refusal("limit-exceeded", limit=f"at most {per_hour} task creations per hour")

    def active_jobs(self, account: Account) -> int:
        """The account's jobs that have not ended yet."""
        self.settle_due(account)
        key = (account.provider, account.key)
        return sum(1 for job in self._unsettled.values() if (job.provider, job.account) == key)

    @staticmethod
    def _outcome(contract: Contract, scenario: str, failure: str | None) -> Outcome:
        if failure is not None:
            return Outcome("failed", failure)
        defined = contract.outcomes.get(scenario)
        if defined is not None:
            return Outcome(defined.kind, defined.message, defined.code)
        return Outcome("succeeded")

    def find_job(self, provider: str, job_id: str, account: Account) -> Job | None:
        """The caller's job, or None when unknown, expired or someone else's."""
        now = self.clock.now()
        self._sweep(now)
        job = self.jobs.get(job_id, now)
        if job is None or job.provider != provider or job.account != account.key:
            return None
        return job

    def job(self, job_id: str) -> Job | None:
        """Any live job, whoever owns it (for the admin API and tests)."""
        return self.jobs.get(job_id, self.clock.now())

    def observe(self, job: Job, *, count_read: bool = True) -> int:
        """The job's phase now; settles its charge once it is terminal."""
        phase = job.observe(self.clock.now(), count_read=count_read)
        if not job.settled and job.is_terminal(phase):
            self._settle(job, phase)
            if job.webhook is not None:
                self.webhooks.schedule(job.webhook, self.clock.now())
        return phase

    def attach_webhook(self, job: Job, url: str, render: Render) -> None:
        """POST `render`'s body to `url` once the job ends (and retry if it must)."""
        job.webhook = self.webhooks.create(job.provider, job.id, url, render)
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
        # The sleep may wake a hair early against the wall clock; a finished
        # synchronous call means a finished job.
        job.observe(max(self.clock.now(), job.created_at + duration))
        return self.observe(job, count_read=False)

    def settle_due(self, account: Account | None = None) -> None:
        now = self.clock.now()
        for job in list(self._unsettled.values()):
            if account is None or (job.provider, job.account) == (account.provider, account.key):
                phase = job.observe(now)
                if job.is_terminal(phase):
                    self._settle(job, phase)

    def _settle(self, job: Job, phase: int) -> None:
        """Capture the job's hold if its outcome is billed, else release it."""
        job.settled = True
        self._unsettled.pop(job.id, None)
        account = self.accounts.get(job.provider, job.account)
        if account is None:
            return
        charged = self.contracts[job.provider].billing.charged
        if job.is_terminal(phase) and job.outcome.kind in charged:
            Accounts.capture(account, job.cost)
        else:
            Accounts.release(account, job.cost)

    def _sweep(self, now: float) -> None:
        for job in self.jobs.sweep(now):
            if not job.settled:
                self._settle(job, job.observe(job.expires_at))

    # -- media -------------------------------------------------------------

    def media_refs(self, job: Job) -> list[MediaRef]:
        plan_ = job.media
        return [
            MediaRef(
                job.id,
                index,
                plan_.width,
                plan_.height,
                plan_.format,
                plan_.variant,
                int(job.media_expires_at),
            )
            for index in range(plan_.count)
        ]

    def media_token(self, ref: MediaRef) -> str:
        return self.signer.token(ref)

    def resolve_media(self, job_id: str, token: str) -> MediaRef | None:
        """The media a URL names, or None when it is unknown or past retention."""
        ref = self.signer.parse(job_id, token)
        if ref is None or self.clock.now() >= ref.expires_at:
            return None
        return ref

    def media_bytes(self, provider: str, ref: MediaRef) -> bytes:
        return self.images.image(ref, self._label(provider, ref))

    def cached_media_bytes(self, provider: str, ref: MediaRef) -> bytes | None:
        """The bytes when no rendering is needed (safe on an event loop), else None."""
        return self.images.cached_image(ref, self._label(provider, ref))

    @staticmethod
    def _label(provider: str, ref: MediaRef) -> str:
        return f"grok-imagine-mock {provider} {ref.job_id} #{ref.index}"
