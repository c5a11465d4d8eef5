"""uvicorn's server, stopping as soon as it is asked to.

uvicorn looks at `should_exit` every 0.1 s, then waits a fixed 0.1 s for connections to
close before it checks them: a test suite that starts a live server per test pays about
0.2 s at every teardown for nothing. This server wakes at once when stopped and watches
its connections close in small steps, within the same grace period.

Stopping signals held back while a process got ready (`hold_signals`) reach it once its
handlers are in place, so a SIGTERM during start-up is a clean shutdown, not a death
that leaves forked workers behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator

import uvicorn

from mockserver.workers import release_signals

__all__ = ["PromptServer"]


_TICK = 0.1  # uvicorn's own: the Date header and its other chores keep their pace
_STEP = 0.005


class PromptServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            if threading.current_thread() is threading.main_thread():
                release_signals()  # what arrived meanwhile goes to the handlers just set
            yield

    def stop(self) -> None:
        """Ask the server to shut down, from any thread."""
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                loop.call_soon_threadsafe(wake.set)

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), _TICK)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        state = self.server_state
        for connection in list(state.connections):
            connection.shutdown()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.config.timeout_graceful_shutdown or 0)
        while (state.connections or state.tasks) and not self.force_exit:
            if loop.time() >= deadline:
                for task in list(state.tasks):  # a hung request: nobody will answer it
                    task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
                break
            await asyncio.sleep(_STEP)
        else:
            for server in self.servers:
                await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()
