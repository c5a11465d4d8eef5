"""xAI's image API (and OpenAI-style gateways such as agtcloud) on plain httpx.

images = OpenAIStyleImages("https://api.x.ai", "xai-...").generate("a lighthouse", n=2)
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
from _retrying import send


class OpenAIStyleImages:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        model: str = "grok-imagine-image",
        retries: int = 3,
        backoff: float = 1.0,
    ) -> None:
        self.model = model
        self.retries = retries
        self.backoff = backoff
        auth = {"Authorization": f"Bearer {api_key}"}
        # A synchronous generation can take a while: allow the gateway's own timeout.
        self.client = httpx.Client(base_url=base_url, headers=auth, timeout=360)

    def generate(self, prompt: str, **options: Any) -> list[bytes | None]:
        """The images for `prompt`; options: n, aspect_ratio, resolution. An image the
        provider withheld (respect_moderation false) is None."""
        body = {
            "model": self.model,
            "prompt": prompt,
            "response_format": "b64_json",
            **{k: v for k, v in options.items() if v is not None},
        }
        answer = send(
            self.client,
            "POST",
            "/v1/images/generations",
            retries=self.retries,
            backoff=self.backoff,
            json=body,
        ).json()
        return [
            base64.b64decode(item["b64_json"]) if item.get("b64_json") else None
            for item in answer["data"]
        ]
