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
    url = request.url
    raw_path = url.raw_path.split(b"?", 1)[0]
    extensions: dict[str, Any] = {}
    scope = {
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
    body = request.content
    sent = False
    status = 500
    headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []

    async def receive() -> MutableMapping[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    clock = app.emulator.clock
    began = clock.now()
    await app(scope, receive, send)
    read_timeout = (request.extensions.get("timeout") or {}).get("read")
    fault = extensions.get(FAULT)
    if fault is not None:
        slow_enough = read_timeout is not None and fault["interval"] > read_timeout
        if fault["name"] != "slow-response" or slow_enough:
            raise InProcessFault(fault)
    took = clock.now() - began
    if read_timeout is not None and took > read_timeout:
        # A synchronous answer that took longer (on the emulator's clock) than the client
        # waits: over a socket the client would have given up first.
        entry = extensions.get(ENTRY)
        if entry is not None:
            entry.error = f"{CLIENT_GAVE_UP} after {read_timeout:g} s; the answer took {took:.1f} s"
        raise InProcessFault({"name": "client-timeout"})
    return httpx.Response(status, headers=headers, content=b"".join(chunks), request=request)
