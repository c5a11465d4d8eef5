"""Pieces several contracts share."""

from __future__ import annotations

from collections.abc import Mapping

from contracts._model import Note, Param, ResponseSpec, Source, documented, inferred
from contracts._schema import binary

PROMPT_LIMIT = 10_000
PROMPT_LIMIT_SOURCE = inferred(
    "no prompt limit is documented; 10,000 characters admits every realistic prompt and "
    "rejects pathological input with a message instead of passing it on"
)
OUTPUT_FORMATS = ("jpeg", "png", "webp")
RESOLUTIONS = ("1k", "2k")
# xAI's thirteen ratios (SOURCES §1.4, older schema), as Pixazo lists them.
XAI_RATIOS = (
    "2:1",
    "20:9",
    "19.5:9",
    "16:9",
    "4:3",
    "3:2",
    "1:1",
    "2:3",
    "3:4",
    "9:16",
    "9:19.5",
    "9:20",
    "1:2",
)


def prompt_param(page: str, description: str, limit: int = PROMPT_LIMIT) -> Param:
    """The required prompt; `limit` is the page's maximum or, by default, our inferred one."""
    return Param(
        "prompt",
        "string",
        documented(page),
        description=description,
        required=True,
        min_length=1,
        max_length=limit,
    )


def prompt_limit_note() -> Note:
    return Note(
        "prompt length",
        f"Prompts longer than {PROMPT_LIMIT:,} characters are refused naming the limit.",
        PROMPT_LIMIT_SOURCE,
    )


IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")


def image_answers(
    description: str,
    source: Source,
    *,
    types: tuple[str, ...] = IMAGE_TYPES,
    models: tuple[str, ...] = (),
    headers: Mapping[str, str] | None = None,
) -> tuple[ResponseSpec, ...]:
    """A 200 with image bytes, one spec per content type it may carry."""
    return tuple(
        ResponseSpec(
            200, description, source, t, schema=binary(), models=models, headers=headers or {}
        )
        for t in types
    )
