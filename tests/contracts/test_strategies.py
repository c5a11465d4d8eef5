"""The strategies' realistic prompts: Faker-made, reproducible, and drawn into submits."""

from __future__ import annotations

import re

from hypothesis import find, given

from contracts import CONTRACTS
from contracts.strategies import _prompt, prompts, submits

SHAPE = re.compile(r"A [\w -]+ of \w+, an? [^;]+ in [\w .'-]+; [\w ]+ tones")


def test_a_prompt_is_a_function_of_its_seed() -> None:
    assert _prompt(7) == _prompt(7)
    assert _prompt(7) != _prompt(8)
    assert SHAPE.fullmatch(_prompt(7)), _prompt(7)


@given(prompts())
def test_every_drawn_prompt_reads_like_one(prompt: str) -> None:
    assert SHAPE.fullmatch(prompt), prompt


def test_submits_draw_realistic_prompts_among_odd_ones() -> None:
    drawn = find(submits(CONTRACTS["segmind"]), lambda s: bool(SHAPE.fullmatch(s.body["prompt"])))
    assert len(drawn.body["prompt"]) <= 10_000
