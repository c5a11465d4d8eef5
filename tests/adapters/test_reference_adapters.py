"""The reference adapters in examples/adapters pass the whole contract for their surface."""

from __future__ import annotations

from typing import Any

import pytest
from apikley_httpx import ApikleyImages
from openai_sdk import OpenAISDKImages
from openai_style_httpx import OpenAIStyleImages
from pixazo_httpx import PixazoImages
from segmind_httpx import SegmindImages
from segmind_sdk import SegmindSDKImages
from xai_sdk_images import XaiSDKImages

from pytest_plugin.adapters import ImageRequest, adapter_contract


def everything(adapter: Any, request: ImageRequest) -> Any:
    return adapter.generate(
        request.prompt,
        n=request.n,
        aspect_ratio=request.aspect_ratio,
        resolution=request.resolution,
        output_format=request.output_format,
    )


def openai_style(adapter: Any, request: ImageRequest) -> Any:
    return adapter.generate(
        request.prompt,
        n=request.n,
        aspect_ratio=request.aspect_ratio,
        resolution=request.resolution,
    )


# Two styles stay in the inner loop (httpx by hand, the openai SDK); the rest run with
# the slow tests.
SLOW = pytest.mark.slow
TestSegmindHttpx = adapter_contract(
    "segmind", SegmindImages, everything, retries=3, min_backoff=1.0, min_poll_interval=1.0
)
TestSegmindSDK = SLOW(
    adapter_contract("segmind", SegmindSDKImages, everything, min_poll_interval=1.0)
)
TestPixazoHttpx = SLOW(
    adapter_contract(
        "pixazo", PixazoImages, everything, retries=3, min_backoff=1.0, min_poll_interval=1.0
    )
)
TestPixazoWebhooks = SLOW(
    adapter_contract(
        "pixazo",
        lambda base_url, key, hook: PixazoImages(base_url, key, webhook_url=hook),
        everything,
        retries=3,
        min_poll_interval=1.0,
        webhooks=True,
    )
)
TestApikleyHttpx = SLOW(
    adapter_contract(
        "apikley",
        ApikleyImages,
        lambda adapter, request: adapter.generate(
            request.prompt, aspect_ratio=request.aspect_ratio
        ),
        retries=3,
        min_backoff=1.0,
        min_poll_interval=2.0,
    )
)
# Synchronous surfaces: a stuck generation ends in the gateway's 504 after 300 s, and each
# retry waits that long again, so max_wait covers every attempt.
TestXaiHttpx = SLOW(
    adapter_contract(
        "xai", OpenAIStyleImages, openai_style, retries=3, min_backoff=1.0, max_wait=1300
    )
)
TestAgtcloudHttpx = SLOW(
    adapter_contract(
        "agtcloud", OpenAIStyleImages, openai_style, retries=3, min_backoff=1.0, max_wait=1300
    )
)
TestXaiOpenAISDK = adapter_contract(
    "xai", OpenAISDKImages, openai_style, retries=2, min_backoff=0.3, max_wait=1000
)
TestAgtcloudOpenAISDK = SLOW(
    adapter_contract(
        "agtcloud", OpenAISDKImages, openai_style, retries=2, min_backoff=0.3, max_wait=1000
    )
)
# xAI's official SDK over gRPC: the checks draw the values its enums have.
TestXaiSDK = adapter_contract(
    "xai",
    XaiSDKImages,
    openai_style,
    retries=3,
    min_backoff=1.0,
    max_wait=1300,
    transport="grpc",
)
