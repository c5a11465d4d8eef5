"""Accounts: API keys with balances, and the holds that keep billing honest.

A submit places a hold for the job's price; the hold is captured when the job
succeeds and released when it does not, so concurrent jobs can never spend
more than the balance.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

DEFAULT_BALANCE = Decimal("10000")


@dataclass(slots=True)
class Account:
    provider: str
    key: str
    balance: Decimal
    held: Decimal = Decimal(0)
    spent: Decimal = Decimal(0)
    # The secret callbacks are signed with, where the provider signs them.
    webhook_key: str | None = None
    # When recent jobs were created, for per-hour limits.
    created: deque[float] = field(default_factory=deque)

    def created_within(self, now: float, seconds: float) -> int:
        while self.created and self.created[0] <= now - seconds:
            self.created.popleft()
        return len(self.created)

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
    """Any non-empty key is an account, unless keys were listed for that provider."""

    def __init__(
        self,
        default_balance: Decimal = DEFAULT_BALANCE,
        listed: Mapping[str, Mapping[str, Decimal]] | None = None,
        webhook_keys: Mapping[str, Mapping[str, str]] | None = None,
        balances: Mapping[str, Mapping[str, Decimal]] | None = None,
    ) -> None:
        self.default_balance = Decimal(default_balance)
        self._listed = {p: dict(keys) for p, keys in (listed or {}).items()}
        self._presets = {p: dict(keys) for p, keys in (balances or {}).items()}
        self._webhook_keys = {p: dict(keys) for p, keys in (webhook_keys or {}).items()}
        self._accounts: dict[tuple[str, str], Account] = {}
        self.reset()

    def reset(self) -> None:
        self._accounts.clear()
        for provider, keys in [*self._presets.items(), *self._listed.items()]:
            for key, balance in keys.items():
                self._accounts[(provider, key)] = self._new(provider, key, Decimal(balance))

    def _new(self, provider: str, key: str, balance: Decimal) -> Account:
        secret = self._webhook_keys.get(provider, {}).get(key)
        return Account(provider, key, balance, webhook_key=secret)

    def is_listed(self, provider: str) -> bool:
        return provider in self._listed

    def authenticate(self, provider: str, key: str | None) -> Account | None:
        """The account for `key`, created on first use unless keys are listed."""
        if not key:
            return None
        account = self._accounts.get((provider, key))
        if account is None and provider not in self._listed:
            account = self._new(provider, key, self.default_balance)
            self._accounts[(provider, key)] = account
        return account

    def get(self, provider: str, key: str) -> Account | None:
        return self._accounts.get((provider, key))

    def set_balance(self, provider: str, key: str, balance: Decimal) -> Account:
        account = self._accounts.get((provider, key))
        if account is None:
            account = self._new(provider, key, Decimal(balance))
            self._accounts[(provider, key)] = account
        else:
            account.balance = Decimal(balance)
        return account

    @staticmethod
    def hold(account: Account, amount: Decimal) -> bool:
        if amount > account.available:
            return False
        account.held += amount
        return True

    @staticmethod
    def capture(account: Account, amount: Decimal) -> None:
        account.held -= amount
        account.balance -= amount
        account.spent += amount

    @staticmethod
    def release(account: Account, amount: Decimal) -> None:
        account.held -= amount

    def __iter__(self) -> Iterator[Account]:
        return iter(list(self._accounts.values()))
