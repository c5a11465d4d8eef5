"""xAI (or agtcloud) Grok Imagine through the official `openai` SDK.

The SDK retries rate limits, 5xx and dropped connections itself (max_retries,
exponential backoff from 0.5 s with jitter).
"""

from __future__ import annotations

import base64
from typing import Any

from openai import OpenAI


class OpenAISDKImages:
    def __init__(self, base_url: str, api_key: str, *, max_retries: int = 2) -> None:
        self.client = OpenAI(api_key=api_key, base_url=f"{base_url}/v1", max_retries=max_retries)

    def generate(self, prompt: str, *, n: int | None = None, **options: Any) -> list[bytes | None]:
        """The images for `prompt`; xAI's aspect_ratio and resolution go in extra_body.
        An image the provider withheld (respect_moderation false) is None."""
        extra = {k: v for k, v in options.items() if v is not None}
        answer = self.client.images.generate(
            model="grok-imagine-image",
            prompt=prompt,
            n=n or 1,
            response_format="b64_json",
            extra_body=extra or None,
        )
        return [
            base64.b64decode(image.b64_json) if image.b64_json else None
            for image in answer.data or []
        ]
