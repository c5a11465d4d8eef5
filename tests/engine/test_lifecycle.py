from __future__ import annotations

import asyncio
import random
import time

import pytest

from mockserver.engine.clock import DEFAULT_EPOCH, ManualClock, SystemClock, to_millisecond
from mockserver.engine.lifecycle import SLOW_FACTOR, Timeline, check_profile, plan

DURATIONS = {"fast": (0.4, 0.8), "realistic": (0.6, 9.74)}


def _plan(profile: str, timing: str | None = None, seed: int = 3) -> Timeline:
    return plan(profile, 2, DURATIONS, random.Random(seed), timing=timing)


def test_manual_clock_starts_at_a_fixed_epoch_and_moves_only_forward() -> None:
    clock = ManualClock()
    assert clock.now() == DEFAULT_EPOCH
    clock.advance(3600)
    assert clock.now() == DEFAULT_EPOCH + 3600
    assert clock.offset == 3600
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(-1)
    clock.reset()
    assert clock.now() == DEFAULT_EPOCH


def test_manual_clock_sleep_moves_virtual_time() -> None:
    clock = ManualClock()
    asyncio.run(clock.sleep(12.5))
    assert clock.offset == 12.5


def test_system_clock_offset_moves_it_forward() -> None:
    clock = SystemClock()
    before = clock.now()
    clock.advance(3600)
    assert clock.now() - before >= 3600
    clock.reset()
    assert clock.offset == 0
    assert clock.now() - before < 3600  # back on the wall clock
    clock.advance(60)
    assert 60 <= clock.now() - before < 3600
    assert SystemClock(offset=120).now() - time.time() > 119


def test_instant_is_terminal_at_once() -> None:
    timeline = _plan("instant")
    assert timeline.phase_at(0.0, 0) == 2
    assert timeline.duration == 0


def test_fast_shows_every_phase_then_finishes_within_two_seconds() -> None:
    timeline = _plan("fast")
    assert timeline.phase_at(0.0, 0) == 0
    assert timeline.phase_at(timeline.ends[0], 0) == 1
    assert timeline.phase_at(timeline.ends[1], 0) == 2
    assert timeline.duration is not None
    assert 0.9 <= timeline.duration <= 2.0


def test_realistic_follows_the_documented_duration_with_seeded_jitter() -> None:
    timeline = _plan("realistic")
    assert timeline.duration is not None
    assert 10.34 * 0.8 <= timeline.duration <= 10.34 * 1.2
    assert _plan("realistic", seed=3) == timeline
    assert _plan("realistic", seed=4) != timeline


def test_polls_moves_one_phase_per_read() -> None:
    timeline = _plan("polls")
    assert [timeline.phase_at(1e9, reads) for reads in range(5)] == [0, 0, 1, 2, 2]


def test_stuck_never_finishes() -> None:
    timeline = _plan("stuck")
    assert timeline.duration is None
    assert timeline.phase_at(1e9, 10**6) == 1
    assert _plan("polls", timing="stuck").phase_at(0, 10**6) == 1
    assert _plan("instant", timing="stuck").phase_at(1e9, 0) == 1


def test_slow_takes_three_times_the_realistic_duration() -> None:
    timeline = _plan("instant", timing="slow")
    assert timeline.duration is not None
    assert timeline.duration >= 10.34 * 0.8 * SLOW_FACTOR
    polls = _plan("polls", timing="slow")
    assert [polls.phase_at(0, reads) for reads in (1, 3, 4, 6, 7)] == [0, 0, 1, 1, 2]


def test_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="instant, fast, realistic, polls, stuck"):
        check_profile("turbo")


@pytest.mark.parametrize(
    "seconds", [0.0, 0.0004, 0.0005, 1.2344, 1.2346, 9.999, 3599.9996, 86400.1234]
)
def test_times_are_kept_to_the_millisecond_as_round_would(seconds: float) -> None:
    assert to_millisecond(seconds) == round(seconds, 3)


def test_every_planned_phase_end_is_a_whole_millisecond() -> None:
    for seed in range(20):
        for profile in ("fast", "realistic", "stuck"):
            for end in _plan(profile, seed=seed).ends:
                assert end == round(end, 3)
