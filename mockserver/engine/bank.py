"""The bank: accounts, the hold a submit places, the ledger that settles it, flat fees,
and the per-account limits a provider documents. All billing rules come from the
contracts (what is charged, which scenarios carry a fee); the bank only applies them.

Not thread-safe on its own: the emulator calls it under its lock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from contracts import Contract
from mockserver.engine.accounts import Account, Accounts, format_amount
from mockserver.engine.errors import MockUsageError, Refusal
from mockserver.engine.jobs import NOTHING, Job
from mockserver.engine.settings import Settings, enforced_limits, to_amount
from mockserver.engine.store import Billing

# Looks a job up by id (None once its record is gone).
Finder = Callable[[str], Job | None]


class Bank:
    def __init__(
        self,
        settings: Settings,
        contracts: Mapping[str, Contract],
        billing: Billing,
        *,
        settled: Callable[[Job], None] | None = None,
    ) -> None:
        """`settled` is told of each job this bank settles (its store keeps that)."""
        self.settings = settings
        self.contracts = contracts
        self.billing = billing
        self._settled = settled
        self.accounts = Accounts(
            self.billing,
            settings.default_balance,
            settings.keys,
            settings.webhook_keys,
            settings.balances,
        )

    def _billed(self, job: Job) -> bool:
        return job.outcome.kind in self.contracts[job.provider].billing.charged

    def _fee(self, job: Job) -> Decimal:
        if job.outcome.kind == "succeeded":
            return NOTHING
        fees = self.contracts[job.provider].billing.fees
        return fees.get(job.scenario or "", NOTHING)

    def authenticate(self, provider: str, key: str | None) -> Account:
        if not key:
            raise Refusal("missing-key")
        account = self.accounts.authenticate(provider, key)
        if account is None:
            raise Refusal("unauthorized")
        return account

    def set_balance(self, provider: str, key: str, balance: Any) -> Account:
        if not key:
            raise MockUsageError("the API key must not be empty")
        return self.accounts.set_balance(provider, key, to_amount(balance, "balance"))

    def set_webhook_key(self, provider: str, key: str, secret: str | None) -> Account:
        if self.accounts.authenticate(provider, key) is None:
            self.set_balance(provider, key, self.settings.default_balance)
        return self.billing.set_webhook_key(provider, key, secret or None)

    def account(self, provider: str, key: str, now: float, find: Finder) -> Account | None:
        """The account with every finished job's charge settled."""
        self.settle_due(now, find)
        return self.accounts.get(provider, key)

    def active(self, account: Account, now: float, find: Finder) -> int:
        """The account's jobs that have not ended yet."""
        self.settle_due(now, find)
        return self.billing.active(account.provider, account.key)

    @staticmethod
    def no_credits(account: Account, cost: Decimal) -> Refusal:
        return Refusal(
            "insufficient-credits",
            balance=format_amount(account.available),
            required=format_amount(cost),
        )

    def hold(self, job_id: str, account: Account, cost: Decimal) -> None:
        """Hold `cost` for the job against the balance, or refuse it for want of credits
        (another process may have spent what this one saw)."""
        result = self.billing.hold(job_id, account.provider, account.key, cost)
        if not result.placed:
            raise self.no_credits(result.account, cost)

    def opened(self, job: Job) -> float | None:
        """The job is stored: a clock-driven one is due to be settled when it ends
        (answered; None for a job that ends when it is read)."""
        duration = job.timeline.duration
        if duration is None:
            return None
        ends = job.created_at + duration
        self.billing.ends(job.id, ends)
        return ends

    def settle(self, job: Job, terminal: bool) -> bool:
        """Capture or release the job's hold (and take its fee): once. Answers whether
        this call settled it."""
        fee = self._fee(job) if terminal else NOTHING
        taken = self.billing.settle(job.id, charge=terminal and self._billed(job), fee=fee)
        if taken is None:
            return False
        job.settled = True
        if terminal:
            job.fee = taken
        if self._settled is not None:
            self._settled(job)
        return True

    def settle_due(self, now: float, find: Finder) -> None:
        """Settle every clock-driven job that has ended by `now`."""
        for job_id in self.billing.due(now):
            job = find(job_id)
            if job is not None and not job.settled:
                self.settle(job, job.is_terminal(job.observe(now)))

    def check_limits(
        self, contract: Contract, account: Account, profile: str, now: float
    ) -> int | None:
        """Refuse a job beyond the enforced limits; answers the per-hour limit enforced."""
        concurrent, per_hour = enforced_limits(contract, self.settings, profile)
        # The emulator settled what was due just before (its sweep), so the count is now's;
        # asked only under a limit (a round trip to a shared store).
        billing = self.billing
        if concurrent is not None and billing.active(account.provider, account.key) >= concurrent:
            raise Refusal(
                "limit-exceeded", limit=f"at most {concurrent} concurrent tasks per account"
            )
        if (
            per_hour is not None
            and billing.created(account.provider, account.key, now, per_hour) >= per_hour
        ):
            raise Refusal("limit-exceeded", limit=f"at most {per_hour} task creations per hour")
        return per_hour
