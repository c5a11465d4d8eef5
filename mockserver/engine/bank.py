"""The bank: accounts, the hold a submit places, the ledger that settles it, flat fees,
and the per-account limits a provider documents. All billing rules come from the
contracts (what is charged, which scenarios carry a fee); the bank only applies them.

Not thread-safe on its own: the emulator calls it under its lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from contracts import Contract
from mockserver.engine.accounts import Account, Accounts, Ledger, format_amount
from mockserver.engine.errors import MockUsageError, Refusal
from mockserver.engine.jobs import NOTHING, Job
from mockserver.engine.settings import Settings, enforced_limits, to_amount

_HOUR = 3600.0


class Bank:
    def __init__(self, settings: Settings, contracts: Mapping[str, Contract]) -> None:
        self.settings = settings
        self.contracts = contracts
        self.accounts = Accounts(
            settings.default_balance, settings.keys, settings.webhook_keys, settings.balances
        )
        self.ledger = Ledger(self.accounts, self._billed, self._fee)

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
        account = self.accounts.authenticate(provider, key) or self.set_balance(
            provider, key, self.settings.default_balance
        )
        account.webhook_key = secret or None
        return account

    def account(self, provider: str, key: str, now: float) -> Account | None:
        """The account with every finished job's charge settled."""
        self.ledger.settle_due(now)
        return self.accounts.get(provider, key)

    def active(self, account: Account, now: float) -> int:
        """The account's jobs that have not ended yet."""
        self.ledger.settle_due(now)
        return self.ledger.active(account)

    def check_limits(
        self, contract: Contract, account: Account, profile: str, now: float
    ) -> int | None:
        """Refuse a job beyond the enforced limits; answers the per-hour limit enforced."""
        concurrent, per_hour = enforced_limits(contract, self.settings, profile)
        if concurrent is not None and self.active(account, now) >= concurrent:
            raise Refusal(
                "limit-exceeded", limit=f"at most {concurrent} concurrent tasks per account"
            )
        if per_hour is not None and account.created_within(now, _HOUR) >= per_hour:
            raise Refusal("limit-exceeded", limit=f"at most {per_hour} task creations per hour")
        return per_hour

    @staticmethod
    def hold(account: Account, cost: Decimal, *, refuse: bool = False) -> None:
        """Hold `cost` against the balance, or refuse the job for want of credits
        (`refuse`: a scenario asks for that refusal whatever the balance)."""
        if refuse or not Accounts.hold(account, cost):
            raise Refusal(
                "insufficient-credits",
                balance=format_amount(account.available),
                required=format_amount(cost),
            )
