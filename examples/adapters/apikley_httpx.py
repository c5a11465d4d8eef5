"""Apikley (Kie.ai-style) Grok Imagine on plain httpx: createTask, recordInfo, downloads.

Kie answers most errors with HTTP 200 and the real code in the body, so the
body's `code` decides what failed and whether to try again.

    images = ApikleyImages("https://api.apikley.ru", "key").generate("a lighthouse")
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from _retrying import RETRYABLE, GenerationError, send, wait_until

# Kie's 455 is maintenance: it passes.
_RETRYABLE = RETRYABLE | {455}


def _code(response: httpx.Response) -> int:
    try:
        return int(response.json().get("code", response.status_code))
    except (ValueError, AttributeError):
        return response.status_code


class ApikleyImages:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        model: str = "grok-imagine/text-to-image",
        callback_url: str | None = None,
        poll_interval: float = 2.0,
        timeout: float = 300.0,
        retries: int = 3,
        backoff: float = 1.0,
        unwritten_polls: int = 5,
    ) -> None:
        self.model = model
        # Polls that may answer "recordInfo is null" before the task counts as unknown.
        self.unwritten_polls = unwritten_polls
        self.callback_url = callback_url
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        auth = {"Authorization": f"Bearer {api_key}"}
        self.client = httpx.Client(base_url=base_url, headers=auth, timeout=30)

    def generate(self, prompt: str, *, aspect_ratio: str | None = None) -> list[bytes]:
        """One image for `prompt` (a task makes one)."""
        task: dict[str, Any] = {"model": self.model, "input": {"prompt": prompt}}
        if aspect_ratio:
            task["input"]["aspect_ratio"] = aspect_ratio
        if self.callback_url:
            task["callBackUrl"] = self.callback_url
        created = self._send("POST", "/api/v1/jobs/createTask", json=task).json()
        task_id = created["data"]["taskId"]
        record: dict[str, Any] = {}

        unwritten = 0

        def poll() -> str | None:
            nonlocal unwritten
            answer = self._send(
                "GET", "/api/v1/jobs/recordInfo", params={"taskId": task_id}, ok=_record_or_null
            )
            data = answer.json()["data"]
            if data is None:  # "recordInfo is null": Kie has not written the record yet
                unwritten += 1
                if unwritten > self.unwritten_polls:
                    raise GenerationError(f"task {task_id} is unknown", 422)
                return None
            if data["state"] == "fail":
                raise GenerationError(f"task failed: {data['failMsg']}", int(data["failCode"] or 0))
            record.update(data)
            return "success" if data["state"] == "success" else None

        wait_until(poll, interval=self.poll_interval, timeout=self.timeout, what=task_id)
        urls = json.loads(record["resultJson"])["resultUrls"]
        return [self._send("GET", url, ok=lambda r: r.status_code == 200).content for url in urls]

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("ok", lambda r: r.status_code == 200 and _code(r) == 200)
        return send(
            self.client,
            method,
            url,
            retries=self.retries,
            backoff=self.backoff,
            code=_code,
            retryable=_RETRYABLE,
            **kwargs,
        )


def _record_or_null(response: httpx.Response) -> bool:
    """A record, or Kie's 'recordInfo is null' for a task it has not written yet."""
    if response.status_code != 200:
        return False
    body = response.json()
    return body.get("code") == 200 or (body.get("code") == 422 and body.get("data") is None)
