"""The retry loop the httpx reference adapters share: exponential backoff on what can pass,
and never sooner than the provider asked (Retry-After, Segmind's reset time)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import httpx

RETRYABLE = frozenset({429, 500, 502, 503, 504})


class GenerationError(Exception):
    """The generation failed; `status` is the HTTP (or body) status, when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    retries: int,
    backoff: float,
    ok: Callable[[httpx.Response], bool] = lambda r: r.status_code < 400,
    code: Callable[[httpx.Response], int] = lambda r: r.status_code,
    retryable: frozenset[int] = RETRYABLE,
    **kwargs: Any,
) -> httpx.Response:
    """One request, retried while the failure can pass; `ok` and `code` read the answer."""
    for attempt in range(retries + 1):
        last = attempt == retries
        asked = 0.0
        try:
            response = client.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            if last:
                raise GenerationError(f"{method} {url}: {exc!r}") from exc
        else:
            if ok(response):
                return response
            status = code(response)
            if status not in retryable or last:
                raise GenerationError(f"{method} {url}: {status} {response.text[:300]}", status)
            asked = asked_wait(response)
        time.sleep(max(backoff * 2**attempt, asked))
    raise AssertionError("unreachable")


def asked_wait(response: httpx.Response) -> float:
    """Seconds the provider asked to wait: Retry-After, or Segmind's reset time."""
    after = response.headers.get("retry-after", "")
    if after.isdigit():
        return float(after)
    reset = response.headers.get("x-rate-limit-reset-at-utc")
    if reset:
        at = datetime.fromisoformat(reset.replace("Z", "+00:00"))
        return max(0.0, (at - datetime.now(timezone.utc)).total_seconds())
    return 0.0


def wait_until(
    poll: Callable[[], str | None], *, interval: float, timeout: float, what: str
) -> str:
    """Call `poll` every `interval` seconds until it names a final state, or give up."""
    deadline = time.monotonic() + timeout
    while True:
        state = poll()
        if state is not None:
            return state
        if time.monotonic() + interval > deadline:
            raise GenerationError(f"gave up on {what} after {timeout:g} s")
        time.sleep(interval)
