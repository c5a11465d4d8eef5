"""Seeded identifiers and per-job randomness."""

from __future__ import annotations

import random
import re
import threading
import uuid

_PLACEHOLDER = re.compile(r"\{(uuid4|uuid7|hex\d+|model)\}")


class IdSource:
    """Everything random an emulator hands out, reproducible from one seed.

    Safe from any thread: each draw is one step under a lock, so concurrent
    requests never share a half-drawn id.
    """

    def __init__(self, seed: int, stream: str = "ids") -> None:
        """`stream` names an independent sequence: draws from one never move another's
        (an error's trace id cannot shift the next job's id)."""
        self.seed = seed
        self._rng = random.Random(f"grok-imagine-mock/{stream}/{seed}")
        self._counter = 0
        self._lock = threading.Lock()

    def _bits(self, count: int) -> int:
        with self._lock:
            return self._rng.getrandbits(count)

    def uuid4(self) -> str:
        return str(uuid.UUID(int=self._bits(128), version=4))

    def uuid7(self, now: float) -> str:
        """A time-ordered UUID (version 7) stamped with the emulator clock's `now`."""
        millis = int(now * 1000) & ((1 << 48) - 1)
        with self._lock:  # two draws, in this order, as ever: a seed keeps its ids
            high, low = self._rng.getrandbits(12), self._rng.getrandbits(62)
        value = (millis << 80) | (0x7 << 76) | (high << 64) | (0b10 << 62) | low
        return str(uuid.UUID(int=value))

    def hex(self, length: int) -> str:
        return f"{self._bits(length * 4):0{length}x}"

    def make(self, template: str, *, model: str, now: float) -> str:
        """An id in a contract's format: {uuid4}, {uuid7}, {hexN} and {model} filled in."""

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "model":
                return model
            if name == "uuid4":
                return self.uuid4()
            if name == "uuid7":
                return self.uuid7(now)
            return self.hex(int(name[3:]))

        return _PLACEHOLDER.sub(fill, template)

    def job_rng(self) -> random.Random:
        """A fresh generator for one job: its timings, image variant and seed value."""
        with self._lock:
            self._counter += 1
            counter = self._counter
        return random.Random(f"grok-imagine-mock/job/{self.seed}/{counter}")
