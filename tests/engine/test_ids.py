"""Seeded ids and each job's own draws: reproducible, independent, and fair."""

from __future__ import annotations

import random
import uuid
from collections import Counter

import pytest

from mockserver.engine.ids import IdSource, JobDraws, _uuid4


def _take(draws: JobDraws, count: int) -> list[int]:
    return [draws.randrange(1 << 64) for _ in range(count)]


def test_a_name_gives_the_same_draws_and_another_name_others() -> None:
    # 20 draws: past the first digest's eight words, into the next blocks
    assert _take(JobDraws("job/7/1"), 20) == _take(JobDraws("job/7/1"), 20)
    assert _take(JobDraws("job/7/1"), 20) != _take(JobDraws("job/7/2"), 20)
    words = _take(JobDraws("job/7/1"), 40)
    assert len(set(words)) == 40  # blocks differ: no word comes back


def test_draws_stay_in_their_ranges() -> None:
    draws = JobDraws("ranges")
    floats = [draws.uniform(0.0, 1.0) for _ in range(2000)]
    assert all(0.0 <= f < 1.0 for f in floats)
    assert min(floats) < 0.01
    assert max(floats) > 0.99
    assert all(-0.2 <= draws.uniform(-0.2, 0.2) <= 0.2 for _ in range(500))
    assert all(1 <= draws.randrange(1, 2**31) < 2**31 for _ in range(500))
    # A third of all 64-bit words lie past the one whole multiple of this span: they are
    # drawn again. Folded onto the values below them instead, two thirds of the draws
    # would land in the span's lower half; fairly, half do (300 of 600, give or take 12).
    span = (1 << 64) // 3 * 2
    drawn = [draws.randrange(span) for _ in range(600)]
    assert all(0 <= value < span for value in drawn)
    assert sum(value < span // 2 for value in drawn) < 350
    with pytest.raises(ValueError, match="empty"):
        draws.randrange(5, 5)


def test_every_variant_is_about_as_likely() -> None:
    draws = JobDraws("variants")
    counts = Counter(draws.randrange(256) for _ in range(25_600))
    assert len(counts) == 256
    # 100 expected each; a fair source stays within +-50 with overwhelming odds
    assert min(counts.values()) > 50
    assert max(counts.values()) < 150


def test_a_jobs_draws_come_from_the_seed_and_its_number_alone() -> None:
    first, second = IdSource(11), IdSource(11)
    job_a, draws_a = first.job("{uuid4}", model="m", now=0.0)
    _take(draws_a, 30)  # however much one job draws, the next job's id and draws are the same
    job_b, draws_b = first.job("{uuid4}", model="m", now=0.0)
    assert second.job("{uuid4}", model="m", now=0.0)[0] == job_a
    again_b, again_draws_b = second.job("{uuid4}", model="m", now=0.0)
    assert (again_b, _take(again_draws_b, 10)) == (job_b, _take(draws_b, 10))
    assert _take(IdSource(12).job("{uuid4}", model="m", now=0.0)[1], 10) != _take(
        IdSource(11).job("{uuid4}", model="m", now=0.0)[1], 10
    )


@pytest.mark.parametrize("bits", [0, (1 << 128) - 1, 0x0123456789ABCDEF0123456789ABCDEF, 7 << 60])
def test_job_ids_are_the_uuids_the_uuid_module_makes(bits: int) -> None:
    assert _uuid4(bits) == str(uuid.UUID(int=bits, version=4))


def test_a_template_is_filled_in_order_from_the_stream() -> None:
    made = IdSource(3).make("task-{model}-{hex8}-{uuid4}", model="m1", now=0.0)
    stream = random.Random("grok-imagine-mock/ids/3")
    hex8 = f"{stream.getrandbits(32):08x}"
    assert made == f"task-m1-{hex8}-{_uuid4(stream.getrandbits(128))}"
    alone = IdSource(3).hex(6)  # one placeholder and no text
    assert alone == f"{random.Random('grok-imagine-mock/ids/3').getrandbits(24):06x}"
