"""Plausible fake text, the same for the same seed: the prompt as the model rewrote it.

Each text draws from a generator of its own, seeded by a digest of what it is made from,
so that a text depends only on that, never on what was made before it. (The draws are
the ones Faker's `random_element` and `random_sample` made here before: the same seed
gives the same texts, at a fraction of the cost and without importing Faker.)
"""

from __future__ import annotations

import hashlib
import random

from mockserver.engine.scenarios import PROMPT_TOKEN

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

    def _draws(self, *parts: object) -> random.Random:
        digest = hashlib.sha256(repr((self.seed, *parts)).encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))

    def revised_prompt(self, prompt: str, job_id: str, index: int) -> str:
        """`prompt` as an image model's prompt rewriter might expand it, for image
        `index` of job `job_id`."""
        words = PROMPT_TOKEN.sub(" ", prompt).split()  # a scenario token is not the subject
        subject = " ".join(words)[:_QUOTED].rstrip(" .,;:!") or "an untitled scene"
        draw = self._draws(job_id, index, subject)
        style, light, framing = draw.choice(_STYLES), draw.choice(_LIGHT), draw.choice(_FRAMING)
        mood = draw.choice(_MOODS)
        first, second = draw.sample(_COLOURS, 2)
        article, _, rest = subject.partition(" ")
        lead = f"{article.lower()} {rest}" if article in ("A", "An", "The") and rest else subject
        return (
            f"{style} of {lead}, bathed in {light}, with {framing}. "
            f"A {mood} palette of {first} and {second} tones."
        )
