"""requests served in-process through the `responses` library's callbacks (loaded only
when responses is installed)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from mockserver.app import MockApp
from mockserver.engine.errors import InProcessFault
from pytest_plugin._guards import check_guards
from pytest_plugin._portal import Portal, call_app


def requests_mock(
    app: MockApp,
    portal: Portal,
    hosts: Sequence[str],
    strict: bool,
    guards: Sequence[Callable[[], None]],
) -> Any:
    import responses

    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    names = "|".join(re.escape(h) for h in hosts)
    ours = re.compile(rf"^https?://({names})(:\d+)?(/|\?|$)")

    def callback(prepared: Any) -> tuple[int, dict[str, str], bytes]:
        check_guards(guards)
        body = prepared.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif not isinstance(body, bytes):
            body = b"".join(part if isinstance(part, bytes) else part.encode() for part in body)
        read = _read_timeout(getattr(prepared, "req_kwargs", {}).get("timeout"))
        request = httpx.Request(
            prepared.method,
            prepared.url,
            headers=dict(prepared.headers),
            content=body,
            extensions={"timeout": {"read": read}},
        )
        try:
            response = portal.run(call_app(app, request))
        except InProcessFault as fault:
            raise _requests_error(fault, prepared.url) from None
        merged: dict[str, str] = {}
        for name, value in response.headers.multi_items():
            merged[name] = f"{merged[name]}, {value}" if name in merged else value
        return response.status_code, merged, response.content

    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
        mock.add_callback(method, ours, callback=callback)
    if strict:
        mock.add_passthru(
            re.compile(r"^https?://(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?(/|$)")
        )
    else:
        mock.add_passthru(re.compile(rf"^(?!https?://({names})(:\d+)?(/|\?|$))"))
    return mock


def _read_timeout(timeout: Any) -> float | None:
    """requests' timeout: one number for both, or (connect, read)."""
    if isinstance(timeout, (tuple, list)):
        timeout = timeout[1] if len(timeout) > 1 else None
    return float(timeout) if isinstance(timeout, (int, float)) else None


def _requests_error(fault: InProcessFault, url: str) -> Exception:
    """What requests raises, with the urllib3 and http.client errors it wraps."""
    import http.client

    import requests
    from urllib3.exceptions import ProtocolError

    if fault.name == "disconnect":
        reset = ConnectionResetError(104, "Connection reset by peer")
        return requests.ConnectionError(ProtocolError("Connection aborted.", reset))
    if fault.name == "empty-response":
        gone = http.client.RemoteDisconnected("Remote end closed connection without response")
        return requests.ConnectionError(ProtocolError("Connection aborted.", gone))
    if fault.name == "garbage-response":
        line = http.client.BadStatusLine("garbage")
        return requests.ConnectionError(ProtocolError("Connection aborted.", line))
    if fault.name == "truncated-body":
        missing = fault.full - fault.half
        read = http.client.IncompleteRead(b"", missing)
        read_so_far = f"{fault.half} bytes read, {missing} more expected"
        message = f"Connection broken: IncompleteRead({read_so_far})"
        return requests.exceptions.ChunkedEncodingError(ProtocolError(message, read))
    return requests.exceptions.ReadTimeout(f"{url}: Read timed out.")
