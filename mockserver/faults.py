"""Network faults: answers that go wrong the way a network does.

Over a real socket the fault acts on the connection itself (uvicorn's
transport, handed over in the scope's extensions by the dispatcher): a reset,
a close without an answer, random bytes, a body cut off halfway, an answer
that dribbles, or none at all. In-process there is no socket; the fault is
written into the scope instead, and the in-process bridge raises the
exception the client would have seen (see `pytest_plugin._portal`).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

TRANSPORT = "grok-mock.transport"
FAULT = "grok-mock.fault"
# The request's journal entry, for a caller in the same process that learns more about
# its fate than the server could (an in-process client that gave up waiting).
ENTRY = "grok-mock.entry"
# Faults that happen after the request was handled: the work is done, the answer is lost.
AFTER_HANDLING = frozenset({"truncated-body", "slow-response"})
_CHUNK = 16


def transport_of(send: Send) -> Any:
    """uvicorn's transport behind `send`, or None (another server, or in-process)."""
    cycle = getattr(send, "__self__", None)
    return getattr(cycle, "transport", None)


class FaultResponse:
    """An ASGI answer that misbehaves. `inner` is the real answer, for faults that need one."""

    def __init__(
        self, name: str, inner: Response | None, rng: random.Random, interval: float
    ) -> None:
        self.name = name
        self.inner = inner
        self.rng = rng
        self.interval = interval

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        extensions = scope.setdefault("extensions", {})
        transport = extensions.get(TRANSPORT)
        if transport is None:
            length = len(self.inner.body) if self.inner is not None else 0
            extensions[FAULT] = {"name": self.name, "interval": self.interval, "length": length}
            if self.name == "slow-response" and self.inner is not None:
                await self.inner(scope, receive, send)
            return
        if self.name == "disconnect":
            sock = transport.get_extra_info("socket")
            if sock is not None:  # a zero linger makes close() send a reset, not a goodbye
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        elif self.name == "empty-response":
            transport.close()
        elif self.name == "garbage-response":
            transport.write(self.rng.randbytes(self.rng.randint(64, 512)))
            transport.close()
        elif self.name == "hang":
            while (await receive())["type"] != "http.disconnect":
                pass
        elif self.name == "truncated-body":
            await self._truncated(transport, send)
        else:
            await self._slow(transport, send)
        # Let the server see the connection is gone before it looks for an answer.
        await asyncio.sleep(0)

    async def _start(self, send: Send) -> bytes:
        """Send the real answer's status and headers; its body is for the fault to spoil."""
        assert self.inner is not None
        await send(
            {
                "type": "http.response.start",
                "status": self.inner.status_code,
                "headers": self.inner.raw_headers,
            }
        )
        return bytes(self.inner.body)

    async def _truncated(self, transport: Any, send: Send) -> None:
        body = await self._start(send)
        await send(
            {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
        )
        transport.close()

    async def _slow(self, transport: Any, send: Send) -> None:
        body = await self._start(send)
        for start in range(0, len(body), _CHUNK):
            if transport.is_closing():  # the client gave up; nobody is left to dribble to
                return
            await send(
                {
                    "type": "http.response.body",
                    "body": body[start : start + _CHUNK],
                    "more_body": True,
                }
            )
            await asyncio.sleep(self.interval)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
