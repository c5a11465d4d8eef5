"""Seeded chaos and latency: what happens to a share of requests, reproducibly.

Each has its own generator derived from the emulator's seed, drawn once per
matching request, so the same seed and the same requests give the same faults
and delays in the same order, and turning chaos on does not change ids.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict
from typing import Any

from contracts.record import record
from mockserver.engine.errors import MockUsageError
from mockserver.engine.scenarios import RequestFacts

# Longest delay one request can be given, in seconds; draws beyond it are cut to it.
MAX_LATENCY = 3600.0
_MAX_SIGMA = 10.0
LATENCY_KINDS = {
    "fixed": ("seconds",),
    "uniform": ("low", "high"),
    "lognormal": ("median", "sigma"),
}


def _matches(provider: str | None, operation: str | None, facts: RequestFacts) -> bool:
    return (provider is None or provider == facts.provider) and (
        operation is None or operation == facts.operation
    )


@record
class ChaosEntry:
    scenario: str
    probability: float
    provider: str | None = None
    operation: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Chaos:
    def __init__(self, seed: int, entries: Iterable[ChaosEntry] = ()) -> None:
        self._rng = random.Random(f"grok-imagine-mock/chaos/{seed}")
        self.entries: tuple[ChaosEntry, ...] = ()
        self.set(entries)

    def set(self, entries: Iterable[ChaosEntry]) -> None:
        entries = tuple(entries)
        totals: dict[tuple[str | None, str | None], float] = defaultdict(float)
        for entry in entries:
            if not 0 <= entry.probability <= 1 or entry.probability != entry.probability:
                raise MockUsageError(
                    f"chaos probability for {entry.scenario!r} must be between 0 and 1, "
                    f"got {entry.probability!r}"
                )
            totals[(entry.provider, entry.operation)] += entry.probability
        for (provider, operation), total in totals.items():
            if total > 1 + 1e-9:
                where = f"{provider or 'any provider'} / {operation or 'any operation'}"
                raise MockUsageError(
                    f"chaos probabilities for {where} add up to {total:g}, above 1"
                )
        self.entries = entries

    def draw(self, facts: RequestFacts, applies: Callable[[str], bool]) -> str | None:
        """The scenario chaos picks for this request, or None (one draw when any entry matches)."""
        candidates = [
            e
            for e in self.entries
            if _matches(e.provider, e.operation, facts) and applies(e.scenario)
        ]
        if not candidates:
            return None
        roll = self._rng.random()
        for entry in candidates:
            if roll < entry.probability:
                return entry.scenario
            roll -= entry.probability
        return None


@record
class LatencyEntry:
    kind: str
    provider: str | None = None
    operation: str | None = None
    seconds: float = 0.0
    low: float = 0.0
    high: float = 0.0
    median: float = 0.0
    sigma: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in LATENCY_KINDS:
            raise MockUsageError(
                f"latency kind must be one of {', '.join(LATENCY_KINDS)}, got {self.kind!r}"
            )
        for name in LATENCY_KINDS[self.kind]:
            value = getattr(self, name)
            top = _MAX_SIGMA if name == "sigma" else MAX_LATENCY
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not number or not 0 <= value <= top:
                unit = "" if name == "sigma" else " seconds"
                raise MockUsageError(
                    f"{self.kind} latency needs {name} >= 0 and at most {top:g}{unit}, "
                    f"got {value!r}"
                )
        if self.kind == "uniform" and self.high < self.low:
            raise MockUsageError(f"uniform latency needs high >= low, got {self.low}..{self.high}")

    def to_dict(self) -> dict[str, Any]:
        fields = ("kind", "provider", "operation", *LATENCY_KINDS[self.kind])
        return {name: getattr(self, name) for name in fields}


class Latency:
    def __init__(self, seed: int, entries: Iterable[LatencyEntry] = ()) -> None:
        self._rng = random.Random(f"grok-imagine-mock/latency/{seed}")
        self.entries: tuple[LatencyEntry, ...] = tuple(entries)

    def set(self, entries: Iterable[LatencyEntry]) -> None:
        self.entries = tuple(entries)

    def delay(self, facts: RequestFacts) -> float:
        """Seconds this request waits before it is handled (the first matching entry)."""
        for entry in self.entries:
            if _matches(entry.provider, entry.operation, facts):
                return min(self._draw(entry), MAX_LATENCY)
        return 0.0

    def _draw(self, entry: LatencyEntry) -> float:
        if entry.kind == "fixed":
            return entry.seconds
        if entry.kind == "uniform":
            return self._rng.uniform(entry.low, entry.high)
        if entry.median <= 0:
            return 0.0
        try:
            return self._rng.lognormvariate(math.log(entry.median), entry.sigma)
        except OverflowError:  # a long tail past float range is the longest delay there is
            return MAX_LATENCY
