"""Segmind Grok Imagine through the official `segmind` SDK (v2: submit, wait, download).

The SDK does not retry; this adapter reports the first failure.
"""

from __future__ import annotations

from typing import Any

import httpx
from segmind import SegmindClient


class SegmindSDKImages:
    def __init__(self, base_url: str, api_key: str, *, timeout: float = 300.0) -> None:
        self.client = SegmindClient(api_key=api_key, base_url=f"{base_url}/v1")
        self.timeout = timeout

    def generate(self, prompt: str, **options: Any) -> list[bytes]:
        params = {k: v for k, v in options.items() if v is not None}
        job = self.client.submit_async("grok-imagine-image", prompt=prompt, **params)
        result = job.wait(timeout=self.timeout, interval=1.0)
        output = result["output"]  # one image: its URL; n > 1: a list of URLs
        urls = [output] if isinstance(output, str) else output
        with httpx.Client(timeout=30) as client:
            return [client.get(url).raise_for_status().content for url in urls]
