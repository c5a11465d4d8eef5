"""The state-store seam: where the engine keeps what requests change.

One emulator's state lives in this process (`MemoryStore`, the default: plain
objects, as fast as they come) or in Redis (`mockserver.engine.store_redis`), where
several processes share it as one emulator. Each concept the engine keeps is one
protocol here, and both stores implement it the same way, so the same tests judge
both (`tests/engine/test_store.py`).

Behind the seam so far:
- billing: accounts with their balances and holds, the hold each open job places,
  when each clock-driven job ends, how many jobs each account has open, and
  settlement, exactly once per job whoever asks first;
- jobs: each job's record, with what reads change (read counts, the phase reads
  have seen, settlement) kept field by field, and expiry by the emulator's clock;
- numbers: shared sequences, so ids and each job's randomness derive from the
  seed and a number no other process draws.
- rules: queued scenario rules, each of whose `times` is claimed by one request at a
  time (and given back by a request that does not play it).
- the journal: a capped log every process appends to, numbered across them;
- webhook schedules: deliveries any process sends, each attempt under a lease;
- tunables: the profile, chaos and latency tables the admin API sets.

Amounts are Decimals here; a store may keep them as integers of 10^-6 (six
decimals, the precision providers print).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any, Protocol

from contracts.record import record
from mockserver.engine.accounts import Account, HoldResult, MemoryBilling
from mockserver.engine.jobs import Job, JobStore
from mockserver.engine.journal import SharedLog
from mockserver.engine.rule_queue import ScenarioRules
from mockserver.engine.scenarios import RuleMatch, ScenarioRule

__all__ = [
    "Billing",
    "HoldResult",
    "HookSchedule",
    "Jobs",
    "MemoryBilling",
    "Numbers",
    "Rules",
    "State",
    "Tunables",
    "memory_state",
]


class Billing(Protocol):
    """Accounts and the holds of open jobs; every method is one atomic step."""

    def account(self, provider: str, key: str) -> Account | None:
        """The account as it stands, or None when it was never opened."""
        ...

    def open_account(
        self, provider: str, key: str, balance: Decimal, webhook_key: str | None = None
    ) -> Account:
        """The account, opened with `balance` if it does not exist yet."""
        ...

    def set_balance(self, provider: str, key: str, balance: Decimal) -> Account: ...

    def set_webhook_key(self, provider: str, key: str, secret: str | None) -> Account:
        """Set the secret callbacks are signed with (the account must exist)."""
        ...

    def hold(self, job_id: str, provider: str, key: str, cost: Decimal) -> HoldResult:
        """Hold `cost` for a new job if the account (which must exist) can afford it."""
        ...

    def ends(self, job_id: str, at: float) -> None:
        """When the job is due to be settled (a job that ends when a read sees it has none)."""
        ...

    def settle(self, job_id: str, *, charge: bool, fee: Decimal) -> Decimal | None:
        """Capture (`charge`) or release the job's hold and take `fee` (never below a
        zero balance): once. Answers the fee taken, or None when it was settled
        already (or never held)."""
        ...

    def due(self, now: float) -> list[str]:
        """The open jobs due to end by `now`, each handed out once (the caller settles)."""
        ...

    def next_due(self) -> float:
        """No open job falls due before this time (inf: none will; -inf: the store
        cannot tell without a round trip)."""
        ...

    def active(self, provider: str, key: str) -> int:
        """The account's jobs not settled yet."""
        ...

    def created(self, provider: str, key: str, now: float, limit: int | None) -> int:
        """Jobs the account created in the hour before `now` (counted up to `limit`)."""
        ...

    def note_created(self, job_id: str, provider: str, key: str, now: float, limit: int) -> None:
        """Count a creation against a per-hour limit of `limit`."""
        ...

    def open_jobs(self) -> int: ...

    def accounts(self) -> list[Account]: ...

    def clear(self) -> None:
        """Forget every account and open job (a reset)."""
        ...


class Jobs(Protocol):
    """Job records by id, gone once past their retention on the emulator's clock."""

    def add(self, job: Job) -> None: ...

    def get(self, job_id: str, now: float) -> Job | None:
        """The job, unless unknown or past its retention at `now`."""
        ...

    def held(self, job_id: str) -> Job | None:
        """The job while its record is held, past its retention or not (until a sweep)."""
        ...

    def read(self, job_id: str, now: float, provider: str, account: str) -> Job | None:
        """A client's read, in one step: the job with this read counted; None when it is
        unknown, past its retention, another caller's or not pollable, and when it does
        not show yet (one of its "not there yet" reads spent)."""
        ...

    def count_read(self, job: Job) -> int:
        """Count one status read of the job (atomically); answers its reads so far."""
        ...

    def progress(self, job: Job) -> None:
        """Keep how far reads have seen the job, unless another read saw further."""
        ...

    def settled(self, job: Job) -> None:
        """Keep that the job's charge is settled, and its fee."""
        ...

    def sweep(self, now: float) -> list[Job]:
        """Remove and return the jobs past their retention at `now`, each to one caller."""
        ...

    def next_expiry(self) -> float:
        """No record passes its retention before this time (inf: none is held; -inf:
        the store cannot tell without a round trip)."""
        ...

    def clear(self) -> None: ...

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[Job]: ...


class Rules(Protocol):
    """Queued scenario rules, in the order they were added."""

    def add(self, scenario: str, match: RuleMatch, expires_at: float | None) -> ScenarioRule: ...

    def candidates(self, provider: str, key: str | None, now: float) -> list[ScenarioRule]:
        """The rules still live at `now` (not lapsed, not used up) that could match a
        request of `provider` with `key`, in order. A rule naming another provider or
        another key is never looked at: the cost is the rules that could apply."""
        ...

    def claim(self, rule: ScenarioRule) -> bool:
        """Take one of the rule's uses for a request; False when none is left."""
        ...

    def release(self, rule: ScenarioRule) -> None:
        """Give a claimed use back (the request did not play the rule)."""
        ...

    def remove(self, rule_id: str) -> bool: ...

    def clear(self) -> None: ...

    def __iter__(self) -> Iterator[ScenarioRule]: ...

    def __len__(self) -> int: ...


class HookSchedule(Protocol):
    """Webhook deliveries every process can send: what each is, when it is due, and a
    lease (in real time) so that each attempt is made by one process; a lease that
    runs out (its process died) makes the delivery due again for the others."""

    def number(self) -> int:
        """A delivery number no other process gets."""
        ...

    def save(self, delivery_id: str, spec: Mapping[str, Any]) -> None:
        """Keep what the delivery is: provider, job, URL and how to render its body."""
        ...

    def spec(self, delivery_id: str) -> dict[str, Any] | None: ...

    def for_job(self, job_id: str) -> str | None:
        """The delivery waiting for the job to end, if any."""
        ...

    def schedule(self, delivery_id: str, due_at: float) -> None:
        """Due at `due_at` on the emulator clock (and no longer leased)."""
        ...

    def lease(self, now: float, count: int, seconds: float) -> list[str]:
        """Up to `count` deliveries due by `now` that nobody holds, each held by this
        caller for `seconds` of real time."""
        ...

    def record(self, delivery_id: str, attempts: list[dict[str, Any]], state: str) -> None:
        """Keep the attempts so far; a settled delivery leaves the schedule."""
        ...

    def counts(self, now: float) -> tuple[int, int]:
        """(scheduled for later, due now)."""
        ...

    def clear(self) -> None: ...


class Tunables(Protocol):
    """What the admin API tunes for every later request: the profile, chaos and latency
    tables. A process applies a change when it next syncs (as each request begins)."""

    def save(self, tuned: Mapping[str, Any]) -> None:
        """Keep the tables as they now are, for every process."""
        ...

    def changed(self, seen: int, now: int | None = None) -> tuple[int, dict[str, Any] | None]:
        """(the version now, the tables if they changed since version `seen`); `now`: the
        version, when the caller already has it."""
        ...

    def clear(self) -> None: ...


class Numbers(Protocol):
    """Named sequences 1, 2, 3...: each number is drawn once, by one caller."""

    def next(self, name: str) -> int: ...

    def clear(self) -> None: ...


@record
class State:
    """One emulator's state: each concept in its store. `numbers` None means ids come
    from one seeded stream in this process (a seed reproduces them as ever)."""

    billing: Billing
    jobs: Jobs
    rules: Rules
    numbers: Numbers | None = None
    # The journal's entries, when other processes journal into it too.
    journal: SharedLog | None = None
    # Webhook deliveries any process may send (None: this process sends its own).
    hooks: HookSchedule | None = None
    # The profile, chaos and latency as tuned through any process.
    tunables: Tunables | None = None
    # Whether other processes share it.
    shared: bool = False
    # What media URLs are signed with, the same in every process sharing the state.
    media_secret: bytes | None = None
    # Removes every trace of the state from its store (a test's own namespace, at its end).
    discard: Callable[[], None] | None = None
    # One round trip for what a request begins with: it refreshes the shared clock's offset
    # and the rule count, and answers the tunables' version (None: each asks on its own).
    pull: Callable[[], int] | None = None

    def first_setup(self) -> bool:
        """Whether this is the first emulator to set the state up since it was new or
        cleared (so what a config file queues is queued once, not once per process)."""
        return self.numbers is None or self.numbers.next("setup") == 1

    def clear(self) -> None:
        """Forget everything (a reset)."""
        self.billing.clear()
        self.jobs.clear()
        self.rules.clear()
        if self.journal is not None:
            self.journal.clear()
        if self.hooks is not None:
            self.hooks.clear()
        if self.tunables is not None:
            self.tunables.clear()
        if self.numbers is not None:
            self.numbers.clear()


def memory_state() -> State:
    """State in this process: plain objects, as fast as they come."""
    return State(MemoryBilling(), JobStore(), ScenarioRules())
