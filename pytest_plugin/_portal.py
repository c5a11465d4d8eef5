"""In-process serving: the loops apps run on, and one request through the ASGI app.

Needs httpx (a core dependency) and nothing else, so the live fixture and the
interceptors of every client library can share it whichever extras are installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx

from mockserver.engine.errors import InProcessFault
from mockserver.inprocess import CLIENT_GAVE_UP, call_app

__all__ = ["CLIENT_GAVE_UP", "Portal", "call_app", "cut", "httpx_error"]

T = TypeVar("T")


class Portal:
    """Event loops for in-process apps.

    A synchronous caller's request runs to completion on an idle loop of its
    own thread (no thread hop); a thread that already runs a loop hands it to
    the portal loop, which runs forever on its own thread and is also where
    webhooks are delivered from.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="grok-mock-portal", daemon=True
        )
        self._thread.start()
        self._local = threading.local()
        self._idle_loops: list[asyncio.AbstractEventLoop] = []
        self._lock = threading.Lock()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if threading.current_thread() is self._thread:
            raise RuntimeError("a synchronous call into the emulator from its own event loop")
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return self._idle_loop().run_until_complete(coroutine)
        # A synchronous client inside async code: it blocks this loop, so run elsewhere.
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def _idle_loop(self) -> asyncio.AbstractEventLoop:
        loop: asyncio.AbstractEventLoop | None = getattr(self._local, "loop", None)
        if loop is None or loop.is_closed():
            loop = asyncio.new_event_loop()
            self._local.loop = loop
            with self._lock:
                self._idle_loops.append(loop)
        return loop

    def close(self) -> None:
        """Cancel what still runs there (webhook runners), then stop the loop."""

        async def cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(cancel_all(), self.loop).result(timeout=5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()
        with self._lock:
            for loop in self._idle_loops:
                if not loop.is_running() and not loop.is_closed():
                    pending = asyncio.all_tasks(loop)
                    for task in pending:
                        task.cancel()
                    if pending:
                        loop.run_until_complete(_settle(pending))
                    loop.close()
            self._idle_loops.clear()


async def _settle(tasks: set[asyncio.Task[Any]]) -> None:
    await asyncio.gather(*tasks, return_exceptions=True)


def httpx_error(fault: InProcessFault, request: httpx.Request) -> Exception:
    """What httpx raises for this fault over a real socket."""
    if fault.name == "disconnect":
        return httpx.ReadError("[Errno 104] Connection reset by peer", request=request)
    if fault.name in ("empty-response", "garbage-response"):
        return httpx.RemoteProtocolError(NO_ANSWER, request=request)
    if fault.name == "truncated-body":
        return httpx.RemoteProtocolError(cut(fault), request=request)
    return httpx.ReadTimeout("timed out", request=request)


def cut(fault: InProcessFault) -> str:
    """httpcore's words for a body cut short (httpx and httpx2 alike)."""
    return (
        "peer closed connection without sending complete message body "
        f"(received {fault.half} bytes, expected {fault.full})"
    )


NO_ANSWER = "Server disconnected without sending a response."
