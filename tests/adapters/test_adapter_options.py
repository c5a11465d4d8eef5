"""adapter_contract's arguments, async adapters, and the live-server mode."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from segmind_httpx import SegmindImages

from pytest_plugin.adapters import ImageRequest, adapter_contract
from tests.adapters.test_reference_adapters import everything


class AsyncXai:
    """An async adapter on httpx.AsyncClient, with its own async backoff."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url
        self.headers = {"Authorization": f"Bearer {api_key}"}

    async def generate(self, request: ImageRequest) -> list[bytes]:
        import asyncio

        body = {"model": "grok-imagine-image", "prompt": request.prompt, "n": request.n}
        body |= {"aspect_ratio": request.aspect_ratio, "resolution": request.resolution}
        body["response_format"] = "b64_json"
        async with httpx.AsyncClient(
            base_url=self.base_url, headers=self.headers, timeout=60
        ) as client:
            for attempt in range(3):
                try:
                    answer = await client.post("/v1/images/generations", json=body)
                except httpx.TransportError:
                    if attempt == 2:
                        raise
                else:
                    if answer.status_code < 400:
                        return [base64.b64decode(d["b64_json"]) for d in answer.json()["data"]]
                    if answer.status_code not in (429, 500, 502, 503, 504) or attempt == 2:
                        raise RuntimeError(f"{answer.status_code}: {answer.text}")
                await asyncio.sleep(2**attempt)
        raise AssertionError("unreachable")


TestAsyncAdapter = pytest.mark.slow(
    adapter_contract(
        "xai",
        AsyncXai,
        lambda adapter, request: adapter.generate(request),
        retries=2,
        min_backoff=1.0,
        max_wait=1000,
    )
)
TestLiveServer = pytest.mark.slow(
    adapter_contract(
        "segmind",
        SegmindImages,
        everything,
        retries=3,
        min_backoff=1.0,
        min_poll_interval=1.0,
        live=True,
        examples=5,
    )
)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"provider": "acme"}, "unknown provider 'acme'; known: segmind"),
        ({"retries": -1}, "retries must be a non-negative integer, got -1"),
        ({"retries": 1.5}, "retries must be a non-negative integer, got 1.5"),
        ({"max_wait": "long"}, "max_wait must be a non-negative number of seconds"),
        ({"examples": 0}, "examples must be a positive integer, got 0"),
        ({"vary": ["n", "colour"]}, "vary takes a list of fields among n, aspect_ratio"),
        ({"vary": "n"}, "vary takes a list of fields"),
        ({"provider": "xai", "webhooks": True}, "xai sends no webhooks"),
        ({"provider": "pixazo", "webhooks": True}, "factory must accept 3 positional arguments"),
        ({"model": "grok-2"}, "segmind has no model 'grok-2'; its models: grok-imagine-image"),
        ({"factory": "SegmindImages"}, "factory and call must be callables"),
    ],
)
def test_bad_arguments_are_named(arguments: dict[str, Any], message: str) -> None:
    given: dict[str, Any] = {"provider": "segmind", "factory": SegmindImages, "call": everything}
    given.update(arguments)
    with pytest.raises(TypeError) as refused:
        adapter_contract(**given)
    assert message in str(refused.value)


def test_a_pixazo_model_can_be_named_by_id_or_route() -> None:
    by_id = adapter_contract("pixazo", SegmindImages, everything, model="grok-imagine-image-v2")
    assert by_id.options.model == "/grok-imagine-image-v2/v1/text-to-image"  # type: ignore[attr-defined]
    default = adapter_contract("pixazo", SegmindImages, everything)
    assert default.options.model.startswith("/grok-imagine-pro-text-to-image")  # type: ignore[attr-defined]
