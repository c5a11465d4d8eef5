"""xAI Grok Imagine through the official `xai-sdk` (gRPC), with its own retries.

The SDK's channel retries UNAVAILABLE by itself, in its C core; this adapter turns that
off and retries what can pass itself (unavailable, rate limited, internal, timed out),
so every failure is handled the same way, with a backoff you choose.

images = XaiSDKImages("https://api.x.ai", "xai-...").generate("a lighthouse", n=2)
"""

from __future__ import annotations

import base64
import time
from typing import Any

import grpc
from xai_sdk import Client

RETRYABLE = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.DEADLINE_EXCEEDED,
    }
)


class XaiSDKImages:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        model: str = "grok-imagine-image",
        retries: int = 3,
        backoff: float = 1.0,
    ) -> None:
        # The SDK talks gRPC to its own host (api.x.ai); base_url is the REST one, unused.
        self.client = Client(api_key=api_key, channel_options=[("grpc.enable_retries", 0)])
        self.model = model
        self.retries = retries
        self.backoff = backoff

    def generate(self, prompt: str, *, n: int | None = None, **options: Any) -> list[bytes | None]:
        """The images for `prompt`; options: aspect_ratio, resolution. An image the
        provider withheld (respect_moderation false) is None."""
        chosen = {k: v for k, v in options.items() if v is not None}
        for attempt in range(self.retries + 1):
            try:
                answers = self.client.image.sample_batch(
                    prompt=prompt, model=self.model, n=n or 1, image_format="base64", **chosen
                )
            except grpc.RpcError as error:
                if error.code() not in RETRYABLE or attempt == self.retries:
                    raise
                time.sleep(self.backoff * 2**attempt)
                continue
            return [_decoded(answer) for answer in answers]
        raise AssertionError("unreachable")


def _decoded(answer: Any) -> bytes | None:
    if not answer.respect_moderation:
        return None
    return base64.b64decode(answer.base64.split("base64,", 1)[1])
