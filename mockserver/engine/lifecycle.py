"""Progression profiles and the timeline a job follows through its phases.

A job's phase is derived from the clock (or from how many times its status was
read); nothing advances it in the background.
"""

from __future__ import annotations

import bisect
import sys
from collections.abc import Mapping
from typing import Protocol

from contracts.record import record
from mockserver.engine.clock import to_millisecond

PROFILES: dict[str, str] = {
    "instant": "terminal at once",
    "fast": "every state visible for a moment; the whole life takes about 1-2 s",
    "realistic": "the provider's documented typical durations",
    "polls": "one state further per status read",
    "stuck": "never finishes",
}


class Draws(Protocol):
    """Seeded randomness for one job (`ids.JobDraws`; a `random.Random` serves too)."""

    def uniform(self, a: float, b: float, /) -> float: ...

    def randrange(self, start: int, stop: int | None = None, /) -> int: ...


_JITTER = 0.2  # +/- share of each phase duration, from the job's seeded generator
SLOW_FACTOR = 3.0


def check_profile(name: str) -> str:
    if name not in PROFILES:
        known = ", ".join(PROFILES)
        raise ValueError(f"unknown profile {name!r}; profiles are: {known}")
    return sys.intern(name)  # jobs hold the one copy, not each request's


_EPSILON = 1e-6


@record(slots=True)
class Timeline:
    """When each non-terminal phase ends, as seconds after submission."""

    phases: int
    ends: tuple[float, ...] = ()
    by_reads: bool = False
    reads_per_phase: int = 1
    finishes: bool = True

    @property
    def duration(self) -> float | None:
        """Seconds from submission to the terminal state, when the clock decides it."""
        if self.by_reads or not self.finishes:
            return None
        return self.ends[-1] if self.ends else 0.0

    def phase_at(self, elapsed: float, reads: int) -> int:
        """0..phases-1 for the waiting phases; `phases` once terminal."""
        if self.by_reads:
            index = max(reads - 1, 0) // self.reads_per_phase
        else:
            # Epoch-sized floats: (created + d) - created can land a hair below d.
            index = bisect.bisect_right(self.ends, elapsed + _EPSILON)
        if not self.finishes:
            index = min(index, self.phases - 1)
        return min(index, self.phases)

    def phase_started(self, index: int) -> float:
        """Seconds after submission at which phase `index` began (time-driven timelines)."""
        if index <= 0 or not self.ends:
            return 0.0
        return self.ends[min(index, len(self.ends)) - 1]


_INSTANT = tuple(Timeline(n, ends=(0.0,) * n) for n in range(8))


def _instant(phases: int) -> Timeline:
    """The instant timeline of `phases` phases: immutable, so every such job shares one."""
    if phases < len(_INSTANT):
        return _INSTANT[phases]
    return Timeline(phases, ends=(0.0,) * phases)


def plan(
    profile: str,
    phases: int,
    durations: Mapping[str, tuple[float, ...]],
    rng: Draws,
    *,
    timing: str | None = None,
) -> Timeline:
    """The timeline for a new job under `profile`, bent by a timing scenario."""
    if timing is not None:
        return _bent(profile, phases, durations, rng, timing)
    # Positional on every submit (see `Planner.job`): ends, by_reads, reads_per_phase, finishes.
    if profile == "stuck":
        return Timeline(phases, _ends(durations["fast"], rng, 1.0), False, 1, False)
    if profile == "instant":
        return _instant(phases)
    if profile == "polls":
        return Timeline(phases, (), True)
    if profile not in durations:  # the names of the known ones
        check_profile(profile)
    return Timeline(phases, _ends(durations[profile], rng, 1.0))


def _bent(
    profile: str, phases: int, durations: Mapping[str, tuple[float, ...]], rng: Draws, timing: str
) -> Timeline:
    check_profile(profile)
    if timing == "slow":
        if profile == "polls":
            return Timeline(phases, by_reads=True, reads_per_phase=int(SLOW_FACTOR))
        return Timeline(phases, ends=_ends(durations["realistic"], rng, SLOW_FACTOR))
    if timing == "stuck":
        profile = "polls" if profile == "polls" else "stuck"
    if profile == "polls":
        return Timeline(phases, by_reads=True, finishes=timing != "stuck")
    return plan(profile, phases, durations, rng)


def _ends(seconds: tuple[float, ...], rng: Draws, stretch: float) -> tuple[float, ...]:
    total = 0.0
    ends = []
    uniform = rng.uniform
    for base in seconds:
        total += base * stretch * (1 + uniform(-_JITTER, _JITTER))
        ends.append(to_millisecond(total))
    return tuple(ends)
