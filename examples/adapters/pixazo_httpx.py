"""Pixazo Grok Imagine on plain httpx: queue, poll the universal status URL, download.

images = PixazoImages("https://gateway.pixazo.ai", "key").generate("a lighthouse")
"""

from __future__ import annotations

from typing import Any

import httpx
from _retrying import GenerationError, send, wait_until

TEXT_TO_IMAGE = (
    "/grok-imagine-pro-text-to-image-quality/v1/grok-imagine-pro-text-to-image-quality-request"
)


class PixazoImages:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        route: str = TEXT_TO_IMAGE,
        webhook_url: str | None = None,
        poll_interval: float = 1.0,
        timeout: float = 300.0,
        retries: int = 3,
        backoff: float = 1.0,
    ) -> None:
        self.route = route
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        headers = {"Ocp-Apim-Subscription-Key": api_key}
        if webhook_url:
            headers["X-Webhook-URL"] = webhook_url
        self.client = httpx.Client(base_url=base_url, headers=headers, timeout=30)

    def generate(self, prompt: str, *, n: int | None = None, **options: Any) -> list[bytes]:
        """The images for `prompt`; options: aspect_ratio, resolution, output_format."""
        body = {"prompt": prompt, "num_images": n, **options}
        body = {k: v for k, v in body.items() if v is not None}
        queued = self._send("POST", self.route, json=body).json()
        final: dict[str, Any] = {}

        def poll() -> str | None:
            status = self._send("GET", queued["polling_url"]).json()
            if status["status"] in ("FAILED", "ERROR"):
                raise GenerationError(f"generation {status['status']}: {status.get('error')}")
            final.update(status)
            return "COMPLETED" if status["status"] == "COMPLETED" else None

        wait_until(poll, interval=self.poll_interval, timeout=self.timeout, what="the request")
        return [self._send("GET", url).content for url in final["output"]["media_url"]]

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return send(self.client, method, url, retries=self.retries, backoff=self.backoff, **kwargs)
