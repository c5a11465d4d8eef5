"""Planning a new job: its price, its life (timeline, look, seed, retention, all drawn from
the seed) and the record it is kept as.

Equal immutable values that many jobs hold (a cost, a look) are one object for all of
them: what a job costs in memory while it is held.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar

from contracts import TIMING_SCENARIOS, Contract
from contracts.record import record
from mockserver.engine.accounts import Account
from mockserver.engine.errors import MockUsageError
from mockserver.engine.jobs import (
    NOTHING,
    UNREADY_READS,
    Job,
    MediaPlan,
    MediaRequest,
    Outcome,
    request_text,
)
from mockserver.engine.lifecycle import Draws, check_profile, plan
from mockserver.engine.scenarios import Choice
from mockserver.engine.settings import Settings, effective_durations, effective_retention

_T = TypeVar("_T")
# Distinct shared costs and looks kept at most (a few dozen in practice).
_SHARED_LIMIT = 4096


def checked_profile(profile: str) -> str:
    """`profile` if it is one, else a usage error naming the profiles."""
    try:
        return check_profile(profile)
    except ValueError as exc:
        raise MockUsageError(str(exc)) from None


# Not frozen: one is made on every submit, and a frozen one costs twice as much to make;
# the engine only reads it (and it was never hashable: `params` is a mapping).
@record(frozen=False, slots=True)
class JobOrder:
    """What a submit asks of the engine once its request is checked.

    `failure` makes the job fail with that message whatever the scenario (input the
    provider only rejects once the job runs); `profile` overrides the emulator's for
    this job; `sync` is a call that waits for its job; `inline` delivers media in the
    body; `pollable` says the job can be read back after its submit.
    """

    provider: str
    operation: str
    model: str
    account: Account
    params: Mapping[str, Any]
    media: MediaRequest
    price_per_image: Decimal
    choice: Choice
    failure: str | None = None
    profile: str | None = None
    sync: bool = False
    inline: bool = False
    pollable: bool = True


class Planner:
    """How the jobs of one emulator (its contracts, settings and seed) are planned."""

    def __init__(self, contracts: Mapping[str, Contract], settings: Settings):
        self._prices = settings.prices
        self._durations = {p: effective_durations(c, settings) for p, c in contracts.items()}
        self._retention = {p: effective_retention(c, settings) for p, c in contracts.items()}
        self._shared: dict[Any, Any] = {}

    def cost(self, provider: str, model: str, price_per_image: Decimal, count: int) -> Decimal:
        """What `count` images cost: the model's price, or the one the settings give it."""
        key = (provider, model, price_per_image, count)
        found: Decimal | None = self._shared.get(key)  # the same few on every submit
        if found is None:
            price = self._prices.get(provider, {}).get(model, price_per_image)
            found = self._share(key, price * count)
        return found

    def job(
        self,
        contract: Contract,
        job_id: str,
        order: JobOrder,
        *,
        cost: Decimal,
        profile: str,
        rng: Draws,
        now: float,
    ) -> Job:
        """The record of an accepted job, its life planned under `profile` (checked: the
        order's own, else the emulator's): its timeline, look and seed drawn from the
        job's own `rng` in that order, its retention from the contract or settings."""
        choice = order.choice
        scenario = choice.scenario
        timing = scenario if scenario in TIMING_SCENARIOS else None
        if order.sync and profile == "polls":  # a call that waits cannot be polled along
            profile = "instant"
        provider = contract.provider
        phases = len(contract.lifecycle.phases)
        timeline = plan(profile, phases, self._durations[provider], rng, timing=timing)
        media = order.media
        look = (media.width, media.height, media.format, media.count, rng.randrange(256))
        record_seconds, media_seconds = self._retention[provider]
        expired = timing == "expired"
        # Positional, in field order: keywords through a class call are packed into a
        # dict and matched by name, which made this a third of planning a job.
        return Job(
            job_id,
            provider,
            order.operation,
            order.model,
            order.account.key,
            request_text(order.params),
            now,  # created_at
            timeline,
            Outcome.of(contract, scenario, order.failure),
            self._look(look),  # media
            now if expired else now + record_seconds,  # expires_at
            now if expired else now + media_seconds,  # media_expires_at
            cost,
            profile,
            scenario,
            choice.source,  # scenario_source
            rng.randrange(1, 2**31),  # seed
            order.inline,
            order.pollable,
            NOTHING,  # fee
            UNREADY_READS if timing == "record-not-ready" else 0,  # unready_reads
        )

    def _look(self, key: tuple[int, int, str, int, int]) -> MediaPlan:
        """The one MediaPlan for these (width, height, format, count, variant)."""
        found: MediaPlan | None = self._shared.get(key)
        if found is None:
            found = self._share(key, MediaPlan(*key))
        return found

    def _share(self, key: Any, value: _T) -> _T:
        """One object for equal immutable values (bounded: a table grown too big starts
        again)."""
        shared = self._shared
        if len(shared) >= _SHARED_LIMIT:
            shared.clear()
        found: _T = shared.setdefault(key, value)
        return found
