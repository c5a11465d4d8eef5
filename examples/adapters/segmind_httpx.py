"""Segmind Grok Imagine on plain httpx: queued v2, polling, retries, downloads.

images = SegmindImages("https://api.segmind.com", "SG_...").generate("a lighthouse", n=2)
"""

from __future__ import annotations

from typing import Any

import httpx
from _retrying import GenerationError, send, wait_until


class SegmindImages:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        model: str = "grok-imagine-image",
        poll_interval: float = 1.0,
        timeout: float = 300.0,
        retries: int = 3,
        backoff: float = 1.0,
    ) -> None:
        self.model = model
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.client = httpx.Client(base_url=base_url, headers={"x-api-key": api_key}, timeout=30)

    def generate(self, prompt: str, **options: Any) -> list[bytes]:
        """The images for `prompt`; options: n, aspect_ratio, resolution, output_format."""
        body = {"prompt": prompt, **{k: v for k, v in options.items() if v is not None}}
        queued = self._send("POST", f"/v2/{self.model}", json=body).json()

        def poll() -> str | None:
            # A FAILED job answers 422 with its error in the body.
            answer = self._send(
                "GET", queued["status_url"], ok=lambda r: r.status_code in (200, 422)
            )
            status = answer.json()
            if status["status"] == "FAILED":
                raise GenerationError(f"generation failed: {status.get('error')}", 422)
            return "COMPLETED" if status["status"] == "COMPLETED" else None

        wait_until(poll, interval=self.poll_interval, timeout=self.timeout, what="the request")
        output = self._send("GET", queued["response_url"]).json()["output"]
        urls = [output] if isinstance(output, str) else output  # one image: a bare URL
        return [self._send("GET", url).content for url in urls]

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return send(self.client, method, url, retries=self.retries, backoff=self.backoff, **kwargs)
