"""The retry loop the httpx reference adapters share: exponential backoff on what can pass."""

from __future__ import annotations

import time
from collections.abc import Callable
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
        time.sleep(backoff * 2**attempt)
    raise AssertionError("unreachable")


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
