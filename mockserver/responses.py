"""Rendering a contract's error cases, and JSON answers (written by `json_bytes`)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from contracts import Contract, TimeStyle
from mockserver.engine import Refusal
from mockserver.engine.json_text import json_bytes

_JSON = b"application/json"


class Answer(Response):
    """An answer whose headers are written directly: `extra`, then its length and type, as
    Starlette orders them (its general header building costs more than writing the body)."""

    def __init__(
        self,
        data: bytes,
        status: int = 200,
        content_type: bytes = _JSON,
        extra: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        self.status_code = status
        self.body = data
        self.background = None
        headers = [(b"content-length", str(len(data)).encode()), (b"content-type", content_type)]
        self.raw_headers = extra + headers if extra else headers


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    data = json_bytes(body)
    if not headers:
        return Answer(data, status)
    return Response(data, status, headers=headers, media_type="application/json")


def format_time(style: TimeStyle, epoch: float | None) -> Any:
    """`epoch` written as a provider writes times (None stays None)."""
    if epoch is None:
        return None
    if style == "epoch-seconds":
        return int(epoch)
    millis = round(epoch * 1000)
    if style == "epoch-millis":
        return millis
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(millis // 1000))
    return stamp + ("Z" if style == "iso-seconds" else f".{millis % 1000:03d}Z")


# Seconds from a rate limit to the reset time a provider's header announces.
RATE_LIMIT_RESET = 60.0


def render_refusal(
    contract: Contract, refusal: Refusal, now: float, context: Mapping[str, str] | None = None
) -> Response:
    """The contract's answer to `refusal`; `context` (path parameters) fills what it does not."""
    case = contract.error_case(refusal.case)
    reset_at = format_time("iso-seconds", now + RATE_LIMIT_RESET)  # Segmind's header
    fields = {"reset_at": reset_at, **(context or {}), **refusal.fields}
    body, headers = case.render(refusal.message, named=refusal.named, **fields)
    if case.content_type == "application/json":
        return json_response(body, case.status, headers)
    return Response(str(body), case.status, headers=headers, media_type=case.content_type)
