"""The jobs of one emulator: opened, found, read, and forgotten once past retention.

Opening a job checks the caller's limits and credit, draws its id, holds its price and
plans its life. A read finds the caller's job and its phase now; once the job has ended
its charge is settled and its webhook falls due, exactly once whoever sees it first.
Records past their retention are evicted on the way (any charge still open settled), so
nothing is scanned to forget a job; until the earliest end or expiry in the queues comes,
a sweep returns at once. The emulator calls each of these as one step under its lock.
"""

from __future__ import annotations

from collections.abc import Mapping

from contracts import Contract
from mockserver.engine.accounts import Account
from mockserver.engine.bank import Bank
from mockserver.engine.clock import Clock
from mockserver.engine.director import Director
from mockserver.engine.ids import IdSource
from mockserver.engine.jobs import Job
from mockserver.engine.planner import JobOrder, Planner, checked_profile
from mockserver.engine.store import Jobs
from mockserver.engine.webhooks import Webhooks

# Emulator seconds between sweeps of a shared store by one process.
SHARED_SWEEP = 0.25


class JobDesk:
    def __init__(
        self,
        *,
        clock: Clock,
        contracts: Mapping[str, Contract],
        jobs: Jobs,
        bank: Bank,
        planner: Planner,
        ids: IdSource,
        director: Director,
        webhooks: Webhooks,
        shared: bool,
    ) -> None:
        self._clock = clock
        self._contracts = contracts
        self._jobs = jobs
        self._bank = bank
        self._planner = planner
        self._ids = ids
        self._director = director
        self._webhooks = webhooks
        self._shared = shared
        # Nothing falls due before this time: a sweep until then would find nothing.
        self._calm_until = float("-inf")

    def open(self, order: JobOrder, profile: str) -> Job:
        """Accept `order` (see `Emulator.open_job`); `profile` unless the order has one."""
        now = self._clock.now()
        self.sweep(now)
        # Before anything is held or drawn: a refused order leaves no trace.
        job_profile = checked_profile(order.profile or profile)
        provider, account, choice = order.provider, order.account, order.choice
        contract = self._contracts[provider]
        bank = self._bank
        cost = self._planner.cost(provider, order.model, order.price_per_image, order.media.count)
        per_hour = bank.check_limits(contract, account, profile, now)
        forced = choice.scenario == "insufficient-credits"
        if forced:  # the rule is spent on this refusal
            self._director.commit(choice)
        if forced or cost > account.available:  # refused before an id is drawn for it
            raise bank.no_credits(account, cost)
        job_id, rng = self._ids.job(contract.job_ids, model=order.model, now=now)
        bank.hold(job_id, account, cost)
        self._director.commit(choice)
        job = self._planner.job(
            contract, job_id, order, cost=cost, profile=job_profile, rng=rng, now=now
        )
        self._jobs.add(job)
        ends = bank.opened(job)
        if not self._shared:  # a shared store is swept on its own schedule
            due = job.expires_at if ends is None else min(ends, job.expires_at)
            self._calm_until = min(self._calm_until, due)
        if per_hour is not None:  # only a limit needs the times, and only its last `per_hour`
            bank.billing.note_created(job.id, provider, account.key, now, per_hour)
        return job

    def find(self, provider: str, job_id: str, account: Account) -> Job | None:
        """The caller's job, or None (see `Emulator.find_job`)."""
        now = self._clock.now()
        self.sweep(now)
        job = self._jobs.get(job_id, now)
        return job if job is not None and job.belongs_to(provider, account.key) else None

    def read(self, provider: str, job_id: str, account: Account) -> tuple[Job, int] | None:
        """A client's read: the caller's job and its phase now (see `Jobs.read`)."""
        now = self._clock.now()
        self.sweep(now)
        job = self._jobs.read(job_id, now, provider, account.key)
        return None if job is None else (job, self.observe(job, False, now))

    def observe(self, job: Job, count_read: bool, now: float | None = None) -> int:
        """The job's phase `now` (the clock's unless given); once it has ended, its charge
        settles and its webhook is due (once, whichever read or process sees it first)."""
        jobs = self._jobs
        if count_read:
            job.reads = jobs.count_read(job)
        if now is None:
            now = self._clock.now()
        seen = job.observed
        phase = job.observe(now)
        if job.observed != seen:
            jobs.progress(job)
        if not job.is_terminal(phase):
            return phase
        if self._bank.settle(job, True):
            self._webhooks.job_ended(job.id, job.webhook, now)
        elif not job.settled:  # settled through another copy (another process, a sweep)
            kept = jobs.held(job.id)
            if kept is not None:
                job.settled, job.fee = kept.settled, kept.fee
        return phase

    def sweep(self, now: float) -> None:
        """Settle the charges due by `now` and evict the records past retention."""
        if now < self._calm_until:
            return
        bank, jobs = self._bank, self._jobs
        bank.settle_due(now, jobs.held)
        for job in jobs.sweep(now):
            if not job.settled:
                bank.settle(job, job.is_terminal(job.observe(job.expires_at)))
        if self._shared:
            # Two round trips to the shared store: at most every SHARED_SWEEP seconds
            # (reads settle their own job, and records past retention read as gone).
            self._calm_until = now + SHARED_SWEEP
        else:  # one process: only its own queues say when something falls due
            self._calm_until = min(bank.billing.next_due(), jobs.next_expiry())
