"""Accounts: API keys with balances, and who may call.

A submit places a hold for the job's price; the bank captures the hold when the
job ends in a billed outcome and releases it otherwise, exactly once per job (the
billing store, `mockserver.engine.store`, makes that one atomic step), so
concurrent jobs can never spend more than the balance and no job is charged twice.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import field
from decimal import Decimal
from typing import TYPE_CHECKING

from contracts.record import record

if TYPE_CHECKING:
    from mockserver.engine.store import Billing

DEFAULT_BALANCE = Decimal("10000")


def format_amount(amount: Decimal) -> str:
    """An amount as providers write it: no trailing zeros, at most six decimals."""
    text = f"{amount:.6f}".rstrip("0").rstrip(".")
    return text or "0"


# The window of per-hour limits.
HOUR = 3600.0


@record(frozen=False, slots=True)
class Account:
    provider: str
    key: str
    balance: Decimal
    held: Decimal = Decimal(0)
    spent: Decimal = Decimal(0)
    # The secret callbacks are signed with, where the provider signs them.
    webhook_key: str | None = None
    # When recent jobs were created, kept only while a per-hour limit is enforced and
    # only as many as the limit (more could never change a decision): bounded memory.
    created: deque[float] = field(default_factory=deque)

    def created_within(self, now: float, seconds: float) -> int:
        while self.created and self.created[0] <= now - seconds:
            self.created.popleft()
        return len(self.created)

    def note_created(self, now: float, limit: int) -> None:
        """Remember a job's creation for a per-hour limit of `limit`."""
        self.created.append(now)
        while len(self.created) > limit:
            self.created.popleft()
        self.created_within(now, HOUR)

    @property
    def available(self) -> Decimal:
        return self.balance - self.held

    def to_dict(self) -> dict[str, str | None]:
        return {
            "provider": self.provider,
            "key": self.key,
            "balance": str(self.balance),
            "held": str(self.held),
            "available": str(self.available),
            "spent": str(self.spent),
            "webhook_key": "set" if self.webhook_key else None,
        }


class Accounts:
    """Who may call: any non-empty key is an account, unless keys were listed for that
    provider. The accounts themselves live in the billing store."""

    def __init__(
        self,
        billing: Billing,
        default_balance: Decimal = DEFAULT_BALANCE,
        listed: Mapping[str, Mapping[str, Decimal]] | None = None,
        webhook_keys: Mapping[str, Mapping[str, str]] | None = None,
        balances: Mapping[str, Mapping[str, Decimal]] | None = None,
    ) -> None:
        self.billing = billing
        self.default_balance = Decimal(default_balance)
        self._listed = {p: dict(keys) for p, keys in (listed or {}).items()}
        self._webhook_keys = {p: dict(keys) for p, keys in (webhook_keys or {}).items()}
        # Listed keys, then preset balances, open their accounts unless the store already
        # holds them (one shared with other processes, or kept across a restart, keeps its
        # own); the first opening wins, so a listed key's balance beats a preset one.
        for provider, keys in [*self._listed.items(), *(balances or {}).items()]:
            for key, balance in keys.items():
                billing.open_account(provider, key, Decimal(balance), self._secret(provider, key))

    def _secret(self, provider: str, key: str) -> str | None:
        return self._webhook_keys.get(provider, {}).get(key)

    def is_listed(self, provider: str) -> bool:
        return provider in self._listed

    def authenticate(self, provider: str, key: str | None) -> Account | None:
        """The account for `key`, opened on first use unless keys are listed."""
        if not key:
            return None
        account = self.billing.account(provider, key)
        if account is None and provider not in self._listed:
            account = self.billing.open_account(
                provider, key, self.default_balance, self._secret(provider, key)
            )
        return account

    def get(self, provider: str, key: str) -> Account | None:
        return self.billing.account(provider, key)

    def set_balance(self, provider: str, key: str, balance: Decimal) -> Account:
        self.billing.open_account(provider, key, Decimal(balance), self._secret(provider, key))
        return self.billing.set_balance(provider, key, Decimal(balance))

    def __iter__(self) -> Iterator[Account]:
        return iter(self.billing.accounts())


class HoldResult:
    """What a hold came to: placed or refused, and the account as it stands after."""

    __slots__ = ("account", "placed")

    def __init__(self, placed: bool, account: Account) -> None:
        self.placed, self.account = placed, account


class MemoryBilling:
    """Billing in this process. Not thread-safe on its own: the emulator's lock guards it."""

    def __init__(self) -> None:
        self._accounts: dict[tuple[str, str], Account] = {}
        # job id -> (provider, key, cost held)
        self._open: dict[str, tuple[str, str, Decimal]] = {}
        self._ends: list[tuple[float, str]] = []
        # A plain dict: a Counter's `+=` costs twice as much (3.11 specializes exact dicts).
        self._active: dict[tuple[str, str], int] = {}

    def account(self, provider: str, key: str) -> Account | None:
        return self._accounts.get((provider, key))

    def open_account(
        self, provider: str, key: str, balance: Decimal, webhook_key: str | None = None
    ) -> Account:
        found = self._accounts.get((provider, key))
        if found is None:  # one step: two threads opening one account both get the same
            found = self._accounts.setdefault(
                (provider, key), Account(provider, key, Decimal(balance), webhook_key=webhook_key)
            )
        return found

    def set_balance(self, provider: str, key: str, balance: Decimal) -> Account:
        account = self.open_account(provider, key, balance)
        account.balance = Decimal(balance)
        return account

    def set_webhook_key(self, provider: str, key: str, secret: str | None) -> Account:
        account = self._accounts[(provider, key)]
        account.webhook_key = secret
        return account

    def hold(self, job_id: str, provider: str, key: str, cost: Decimal) -> HoldResult:
        owner = (provider, key)
        account = self._accounts[owner]
        if cost > account.available:
            return HoldResult(False, account)
        account.held += cost
        self._open[job_id] = (provider, key, cost)
        self._active[owner] = self._active.get(owner, 0) + 1
        return HoldResult(True, account)

    def ends(self, job_id: str, at: float) -> None:
        if job_id in self._open:
            heapq.heappush(self._ends, (at, job_id))

    def settle(self, job_id: str, *, charge: bool, fee: Decimal) -> Decimal | None:
        held = self._open.pop(job_id, None)
        if held is None:
            return None
        provider, key, cost = held
        self._active[(provider, key)] -= 1
        account = self._accounts.get((provider, key))
        if account is None:  # reset away meanwhile
            return Decimal(0)
        account.held -= cost
        if charge:
            account.balance -= cost
            account.spent += cost
        if not fee:
            return fee
        taken = min(fee, max(account.available, Decimal(0)))
        account.balance -= taken
        account.spent += taken
        return taken

    def due(self, now: float) -> list[str]:
        found = []
        while self._ends and self._ends[0][0] <= now:
            job_id = heapq.heappop(self._ends)[1]
            if job_id in self._open:
                found.append(job_id)
        return found

    def next_due(self) -> float:
        return self._ends[0][0] if self._ends else math.inf

    def active(self, provider: str, key: str) -> int:
        return self._active.get((provider, key), 0)

    def created(self, provider: str, key: str, now: float, limit: int | None) -> int:
        account = self._accounts.get((provider, key))
        return 0 if account is None else account.created_within(now, HOUR)

    def note_created(self, job_id: str, provider: str, key: str, now: float, limit: int) -> None:
        account = self._accounts.get((provider, key))
        if account is not None:
            account.note_created(now, limit)

    def open_jobs(self) -> int:
        return len(self._open)

    def accounts(self) -> list[Account]:
        return list(self._accounts.values())

    def clear(self) -> None:
        self._accounts.clear()
        self._open.clear()
        self._ends.clear()
        self._active.clear()
