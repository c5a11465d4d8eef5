"""Accounts: API keys with balances, and the holds that keep billing honest.

A submit places a hold for the job's price; the ledger captures the hold when
the job ends in a billed outcome and releases it otherwise, exactly once per
job, so concurrent jobs can never spend more than the balance and no job is
charged twice.
"""

from __future__ import annotations

import heapq
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from mockserver.engine.jobs import Job

DEFAULT_BALANCE = Decimal("10000")


def format_amount(amount: Decimal) -> str:
    """An amount as providers write it: no trailing zeros, at most six decimals."""
    text = f"{amount:.6f}".rstrip("0").rstrip(".")
    return text or "0"


_LIMIT_WINDOW = 3600.0


@dataclass(slots=True)
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
        self.created_within(now, _LIMIT_WINDOW)

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

    @staticmethod
    def take(account: Account, amount: Decimal) -> Decimal:
        """A flat fee, at once and never below a zero balance; answers what was taken."""
        if not amount:
            return amount  # no fee: nothing to take, and no new Decimal for the job to hold
        taken = min(amount, max(account.available, Decimal(0)))
        account.balance -= taken
        account.spent += taken
        return taken

    def __iter__(self) -> Iterator[Account]:
        return iter(list(self._accounts.values()))


class Ledger:
    """Every open job's hold, settled once: when a read sees the job end, when its
    end time passes (a heap, so this costs nothing per job held), or when its
    record expires."""

    def __init__(
        self,
        accounts: Accounts,
        charged: Callable[[Job], bool],
        fee: Callable[[Job], Decimal],
    ) -> None:
        self._accounts = accounts
        self._charged = charged
        self._fee = fee
        self._open: dict[str, Job] = {}
        # (end, id, job): the unique id breaks ties, so no counter is held per job.
        self._ends: list[tuple[float, str, Job]] = []
        self._active: Counter[tuple[str, str]] = Counter()

    def open(self, job: Job) -> None:
        self._open[job.id] = job
        self._active[(job.provider, job.account)] += 1
        duration = job.timeline.duration
        if duration is not None:
            heapq.heappush(self._ends, (job.created_at + duration, job.id, job))

    def settle(self, job: Job, terminal: bool) -> bool:
        """Capture the job's hold if it ended in a billed outcome, else release it.

        Answers whether this call settled it (False: it already was).
        """
        if self._open.pop(job.id, None) is None:
            return False
        job.settled = True
        self._active[(job.provider, job.account)] -= 1
        account = self._accounts.get(job.provider, job.account)
        if account is not None:
            if terminal and self._charged(job):
                Accounts.capture(account, job.cost)
            else:
                Accounts.release(account, job.cost)
            if terminal:
                job.fee = Accounts.take(account, self._fee(job))
        return True

    def settle_due(self, now: float) -> None:
        """Settle every clock-driven job that has ended by `now`."""
        while self._ends and self._ends[0][0] <= now:
            _, _, job = heapq.heappop(self._ends)
            if job.id in self._open:
                self.settle(job, job.is_terminal(job.observe(now)))

    def active(self, account: Account) -> int:
        """The account's jobs that have not been settled."""
        return self._active[(account.provider, account.key)]

    def __len__(self) -> int:
        return len(self._open)
