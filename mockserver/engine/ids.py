"""Seeded identifiers and per-job randomness."""

from __future__ import annotations

import hashlib
import random
import re
import struct
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mockserver.engine.store import Numbers

_PLACEHOLDER = re.compile(r"\{(uuid4|uuid7|hex\d+|model)\}")


class IdSource:
    """Everything random an emulator hands out, reproducible from one seed.

    In one process the draws come from one seeded stream, in order. With `numbers`
    (a store several processes share), each id is drawn from a generator of its own,
    seeded by the seed and a number no other process draws: ids never collide across
    processes, and each is reproducible from the seed and its number.

    Safe from any thread: each draw is one step under a lock, so concurrent
    requests never share a half-drawn id.
    """

    def __init__(self, seed: int, stream: str = "ids", numbers: Numbers | None = None) -> None:
        """`stream` names an independent sequence: draws from one never move another's
        (an error's trace id cannot shift the next job's id)."""
        self.seed = seed
        self._stream = stream
        self._numbers = numbers
        self._rng = random.Random(f"grok-imagine-mock/{stream}/{seed}")
        self._counter = 0
        self._fillers: dict[str, _Filler] = {}
        self._lock = threading.Lock()

    def _source(self, number: int | None = None) -> random.Random:
        """The generator for one id: the stream's own, or one of its number's."""
        if self._numbers is None:
            return self._rng
        if number is None:
            number = self._numbers.next(self._stream)
        return random.Random(f"grok-imagine-mock/{self._stream}/{self.seed}/{number}")

    def uuid4(self) -> str:
        return self.make("{uuid4}", model="", now=0.0)

    def hex(self, length: int) -> str:
        return self.make(f"{{hex{length}}}", model="", now=0.0)

    def make(self, template: str, *, model: str, now: float, number: int | None = None) -> str:
        """An id in a contract's format: {uuid4}, {uuid7}, {hexN} and {model} filled in
        (with shared numbers, from `number` when the caller drew it already)."""
        rng = self._source(number)
        with self._lock:
            return self._drawn(template, rng, model, now)

    def _drawn(self, template: str, rng: random.Random, model: str, now: float) -> str:
        filler = self._fillers.get(template)
        if filler is None:  # read once per template, not on every id
            filler = self._fillers[template] = _filler(template)
        return filler(rng, model, now)

    def job(self, template: str, *, model: str, now: float) -> tuple[str, JobDraws]:
        """A new job's id (in `template`'s format) and its own draws for its timings,
        image variant and seed value. With shared numbers both come from one number (one
        round trip to the store)."""
        if self._numbers is not None:
            counter = self._numbers.next("jobs")
            job_id = self.make(template, model=model, now=now, number=counter)
        else:
            with self._lock:  # the id and its number in one step
                job_id = self._drawn(template, self._rng, model, now)
                self._counter += 1
                counter = self._counter
        return job_id, JobDraws(f"grok-imagine-mock/job/{self.seed}/{counter}")


_WORDS = struct.Struct("<8Q")  # a BLAKE2b digest: 64 bytes, eight 64-bit draws
_UNIT = 2.0**-53
_WHOLE = 1 << 64


class JobDraws:
    """One job's own seeded randomness: its phase timings, image variant and seed value.

    The words of BLAKE2b digests of the stream's name and a block number, in order: as
    reproducible as `random.Random`, and a sixth of its cost on every submit, where
    `random.Random(name)` seeds a Mersenne Twister state of 624 words twice.
    """

    __slots__ = ("_block", "_name", "_words")

    def __init__(self, name: str) -> None:
        self._name = name.encode()
        self._block = 0
        self._words = self._digest()  # every job draws at least its look and seed value

    def _digest(self) -> list[int]:
        """The next block's eight words (taken from the end)."""
        digest = hashlib.blake2b(b"%s#%d" % (self._name, self._block)).digest()
        self._block += 1
        return list(_WORDS.unpack(digest))

    def _word(self) -> int:
        """The next 64 random bits."""
        if not self._words:
            self._words = self._digest()
        return self._words.pop()

    def uniform(self, low: float, high: float) -> float:
        """A float in [low, high), from 53 random bits as `random.uniform` has."""
        word = self._words.pop() if self._words else self._word()  # one call, not two
        return low + (high - low) * ((word >> 11) * _UNIT)

    def randrange(self, start: int, stop: int | None = None) -> int:
        """An int in [start, stop) (or [0, start)), every one equally likely."""
        if stop is None:
            start, stop = 0, start
        span = stop - start
        if not 0 < span <= _WHOLE:
            raise ValueError(f"randrange({start}, {stop}): empty or wider than 64 bits")
        limit = _WHOLE - _WHOLE % span  # words past it would favour the low values
        word = self._words.pop() if self._words else self._word()
        while word >= limit:
            word = self._word()
        return start + word % span


# What fills a template: its text from a generator, the model's name and the clock's now.
_Filler = Callable[[random.Random, str, float], str]


def _filler(template: str) -> _Filler:
    """What fills `template` ({uuid4}, {uuid7}, {hexN} and {model} in literal text)."""
    parts = tuple(_PLACEHOLDER.split(template))  # literal text and placeholder names
    if parts == ("", "uuid4", ""):  # most providers' ids: no text to join
        return _uuid4_of

    def fill(rng: random.Random, model: str, now: float) -> str:
        return "".join(
            part if not index % 2 else _fill(part, rng, model, now)
            for index, part in enumerate(parts)
        )

    return fill


def _uuid4_of(rng: random.Random, model: str, now: float) -> str:
    """A {uuid4}'s text, from 128 bits of `rng` (a filler: the model and now unused)."""
    return _uuid4(rng.getrandbits(128))


def _fill(name: str, rng: random.Random, model: str, now: float) -> str:
    """One placeholder's text, drawn from `rng` (the model's name as it is)."""
    if name == "model":
        return model
    if name == "uuid4":
        return _uuid4_of(rng, model, now)
    if name == "uuid7":
        return _uuid7(rng, now)
    return f"{rng.getrandbits(int(name[3:]) * 4):0{name[3:]}x}"


_V4_KEEP = ~(0xF000 << 64) & ~(0xC000 << 48)  # all but the version and variant bits
_V4_SET = (4 << 76) | (0x8000 << 48)  # version 4, RFC 4122 variant


def _uuid4(bits: int) -> str:
    """`str(uuid.UUID(int=bits, version=4))`, without building the object."""
    text = (bits & _V4_KEEP | _V4_SET).to_bytes(16, "big").hex()  # a third cheaper than format
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _uuid7(rng: random.Random, now: float) -> str:
    """A time-ordered UUID (version 7) stamped with the emulator clock's `now`."""
    millis = int(now * 1000) & ((1 << 48) - 1)
    high, low = rng.getrandbits(12), rng.getrandbits(62)  # in this order: a seed keeps its ids
    value = (millis << 80) | (0x7 << 76) | (high << 64) | (0b10 << 62) | low
    return str(uuid.UUID(int=value))
