"""One request through the ASGI app, as a server would pass it, with no socket: what the
in-process fixture and the gRPC surface both serve through."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any
from urllib.parse import unquote

import httpx

from mockserver.app import MockApp
from mockserver.engine.errors import InProcessFault
from mockserver.faults import ENTRY, FAULT

__all__ = ["CLIENT_GAVE_UP", "call_app"]

# How the journal names a request whose in-process client stopped waiting for it.
CLIENT_GAVE_UP = "the client gave up waiting"


async def call_app(app: MockApp, request: httpx.Request) -> httpx.Response:
    """One request through the ASGI app, as a server would pass it."""
    extensions: dict[str, Any] = {}
    exchange = _Exchange(request.content)
    clock = app.emulator.clock
    began = clock.now()
    await app(_scope(request, extensions), exchange.receive, exchange.send)
    _client_verdict(request, extensions, clock.now() - began)
    content = b"".join(exchange.chunks)
    return httpx.Response(
        exchange.status, headers=exchange.headers, content=content, request=request
    )


def _scope(request: httpx.Request, extensions: dict[str, Any]) -> dict[str, Any]:
    url = request.url
    raw_path = url.raw_path.split(b"?", 1)[0]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": url.scheme,
        "path": unquote(raw_path.decode("ascii")),
        "raw_path": raw_path,
        "query_string": url.query,
        "root_path": "",
        "headers": [(k.lower(), v) for k, v in request.headers.raw],
        "client": ("127.0.0.1", 50000),
        "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
        "extensions": extensions,
    }


class _Exchange:
    """The request's body, given once; the answer, as the app sends it."""

    def __init__(self, body: bytes) -> None:
        self._body: bytes | None = body
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []

    async def receive(self) -> MutableMapping[str, Any]:
        body, self._body = self._body, None
        if body is None:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(self, message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))


def _client_verdict(request: httpx.Request, extensions: dict[str, Any], took: float) -> None:
    """Raise what the client would have seen instead of the answer: the network fault the
    app wrote into the scope, or its own read timeout on a synchronous answer that took
    longer (on the emulator's clock) than it waits."""
    read_timeout = (request.extensions.get("timeout") or {}).get("read")
    fault = extensions.get(FAULT)
    if fault is not None:
        slow_enough = read_timeout is not None and fault["interval"] > read_timeout
        if fault["name"] != "slow-response" or slow_enough:
            raise InProcessFault(fault)
    if read_timeout is not None and took > read_timeout:
        entry = extensions.get(ENTRY)
        if entry is not None:
            entry.error = f"{CLIENT_GAVE_UP} after {read_timeout:g} s; the answer took {took:.1f} s"
        raise InProcessFault({"name": "client-timeout"})
