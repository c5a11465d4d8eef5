"""Plausible fake text, the same for the same seed: the prompt as the model rewrote it.

Faker is imported on first use (it takes a noticeable fraction of a second), and one
instance serves the emulator, reseeded for each text under a lock, so that a text depends
only on what it is made from, never on what was made before it.
"""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING

from mockserver.engine.scenarios import PROMPT_TOKEN

if TYPE_CHECKING:
    from faker import Faker

__all__ = ["Texts"]

_STYLES = (
    "A high-resolution photograph",
    "A detailed digital illustration",
    "A cinematic still",
    "A painterly rendering",
    "A crisp studio photograph",
    "A soft watercolour painting",
    "A moody film photograph",
    "A vivid concept-art piece",
)
_LIGHT = (
    "soft golden-hour light",
    "diffuse overcast light",
    "dramatic rim lighting",
    "gentle morning light",
    "warm lamplight",
    "cool blue-hour light",
    "bright midday sun",
    "low-key studio lighting",
)
_FRAMING = (
    "shallow depth of field",
    "a centred, symmetrical composition",
    "a wide establishing shot",
    "a close-up with fine texture detail",
    "a rule-of-thirds composition",
    "a low camera angle",
    "a slightly elevated viewpoint",
)
_MOODS = ("calm", "serene", "whimsical", "quiet", "striking", "nostalgic", "dreamlike", "vibrant")
_COLOURS = (
    "amber",
    "teal",
    "ochre",
    "slate blue",
    "crimson",
    "sage green",
    "ivory",
    "charcoal",
    "rose gold",
    "deep violet",
)
# A revised prompt quotes at most this much of the prompt it revises.
_QUOTED = 600


class Texts:
    """Seeded fake text for one emulator."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        self._faker: Faker | None = None

    def _fake(self, *parts: object) -> Faker:
        if self._faker is None:
            from faker import Faker  # heavy: only once a text is asked for

            self._faker = Faker("en_US")
        digest = hashlib.sha256(repr((self.seed, *parts)).encode()).digest()
        self._faker.seed_instance(int.from_bytes(digest[:8], "big"))
        return self._faker

    def revised_prompt(self, prompt: str, job_id: str, index: int) -> str:
        """`prompt` as an image model's prompt rewriter might expand it, for image
        `index` of job `job_id`."""
        words = PROMPT_TOKEN.sub(" ", prompt).split()  # a scenario token is not the subject
        subject = " ".join(words)[:_QUOTED].rstrip(" .,;:!") or "an untitled scene"
        with self._lock:
            fake = self._fake(job_id, index, subject)
            style, light, framing = (
                fake.random_element(_STYLES),
                fake.random_element(_LIGHT),
                fake.random_element(_FRAMING),
            )
            mood = fake.random_element(_MOODS)
            first, second = fake.random_sample(_COLOURS, length=2)
        article, _, rest = subject.partition(" ")
        lead = f"{article.lower()} {rest}" if article in ("A", "An", "The") and rest else subject
        return (
            f"{style} of {lead}, bathed in {light}, with {framing}. "
            f"A {mood} palette of {first} and {second} tones."
        )
