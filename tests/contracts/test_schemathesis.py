"""schemathesis against a live emulator, from the exported OpenAPI documents.

Its default checks run on every answer: no server error, status codes, content
types, headers and bodies as documented. Positive and negative data, a bounded
number of examples per operation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import ignored_auth, negative_data_rejection

from contracts import CONTRACTS
from contracts.openapi import openapi_document
from contracts.strategies import sample_image
from mockserver import Emulator, LiveServer, ManualClock

# schemathesis drives every surface: thorough, and slow.
pytestmark = pytest.mark.slow

# Checks that contradict a provider's documented behaviour, with the reason.
EXCLUDED: dict[str, list[Any]] = {
    # Kie-style: every refusal but 401, 429 and 500 rides on HTTP 200 with its code in the body.
    "apikley": [negative_data_rejection],
    "kie": [negative_data_rejection],
    # xAI answers a missing or wrong key with 400 INVALID_ARGUMENT (a captured response).
    "xai": [ignored_auth],
}
KEYS = {
    name: {c.auth.header: f"{c.auth.scheme or ''} schemathesis".strip()}
    for name, c in CONTRACTS.items()
}


def _image_fields(node: Any, found: set[str] | None = None) -> set[str]:
    """Names of the body fields that must hold a readable image (x-grok-mock-format)."""
    found = set() if found is None else found
    if isinstance(node, dict):
        for name, value in node.get("properties", {}).items():
            if isinstance(value, dict) and (
                "x-grok-mock-format" in value or "x-grok-mock-format" in value.get("items", {})
            ):
                found.add(name)
        for value in node.values():
            _image_fields(value, found)
    elif isinstance(node, list):
        for value in node:
            _image_fields(value, found)
    return found


def _with_images(body: Any, fields: set[str], image: str) -> Any:
    """A schema cannot say "a decodable image": put a real one wherever one is asked for."""
    if isinstance(body, dict):
        out = {}
        for key, value in body.items():
            if key in fields and isinstance(value, str):
                value = image
            elif key in fields and isinstance(value, list):
                value = [image if isinstance(v, str) else v for v in value]
            out[key] = _with_images(value, fields, image)
        return out
    if isinstance(body, list):
        return [_with_images(v, fields, image) for v in body]
    return body


@pytest.fixture(scope="module")
def live() -> Iterator[LiveServer]:
    # Only the listed keys are accounts, so a wrong key is refused as it would be.
    keys = {p: {"schemathesis": 1_000_000} for p in CONTRACTS}
    emulator = Emulator(clock=ManualClock(), profile="instant", seed=5, keys=keys)
    with LiveServer(emulator) as server:
        yield server


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("provider", list(CONTRACTS))
def test_schemathesis_finds_nothing(live: LiveServer, provider: str, mode: GenerationMode) -> None:
    base_url = live.url(provider)
    document = openapi_document(CONTRACTS[provider], base_url)
    schema = schemathesis.openapi.from_dict(document)
    if mode is GenerationMode.POSITIVE:
        fields = _image_fields(document["paths"])
        image = sample_image()

        @schema.hook
        def map_body(context: Any, body: Any) -> Any:
            return _with_images(body, fields, image)

    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            case.call_and_validate(
                base_url=base_url,
                headers=KEYS[provider],
                excluded_checks=EXCLUDED.get(provider, []),
            )

        run()
