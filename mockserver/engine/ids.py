"""Seeded identifiers and per-job randomness."""

from __future__ import annotations

import hashlib
import random
import uuid


class IdSource:
    """Everything random an emulator hands out, reproducible from one seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._rng = random.Random(f"grok-imagine-mock/ids/{seed}")
        self._counter = 0

    def uuid4(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def uuid7(self, now: float) -> str:
        """A time-ordered UUID (version 7) stamped with the emulator clock's `now`."""
        millis = int(now * 1000) & ((1 << 48) - 1)
        value = (millis << 80) | (0x7 << 76) | (self._rng.getrandbits(12) << 64)
        value |= (0b10 << 62) | self._rng.getrandbits(62)
        return str(uuid.UUID(int=value))

    def hex(self, length: int) -> str:
        return f"{self._rng.getrandbits(length * 4):0{length}x}"

    def job_rng(self) -> random.Random:
        """A fresh generator for one job: its timings, image variant and seed value."""
        self._counter += 1
        return random.Random(f"grok-imagine-mock/job/{self.seed}/{self._counter}")

    def secret(self, label: str) -> bytes:
        return hashlib.sha256(f"grok-imagine-mock/{label}/{self.seed}".encode()).digest()
