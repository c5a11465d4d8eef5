"""Several worker processes serving one listening socket, one emulator between them.

The parent binds the socket, then forks the other workers before it starts any thread
or event loop; each child builds its own emulator from the same settings, so every
worker talks to the shared state store (Redis) on its own connection, and the kernel
hands each new connection to whichever worker accepts it first.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable

__all__ = ["fork_workers", "hold_signals", "release_signals", "stop_workers"]

_STOPPING = {signal.SIGINT, signal.SIGTERM}


def hold_signals() -> None:
    """Hold SIGINT and SIGTERM back (in this thread, and in processes forked from it)
    until a server's handlers take them (`PromptServer`), or `release_signals`."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)


def release_signals() -> None:
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING)


def fork_workers(count: int, serve_one: Callable[[], None]) -> list[int]:
    """Start `count` child processes, each running `serve_one` until it returns."""
    if sys.platform == "win32":  # pragma: no cover - no fork
        raise OSError("--workers needs fork (Linux, macOS)")
    children = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:  # the child: serve, then leave without the parent's cleanup
            code = 0
            try:
                serve_one()
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        children.append(pid)
    return children


def stop_workers(children: list[int], how: int = signal.SIGTERM) -> None:
    """Ask each child to stop as Ctrl-C would, and reap it (once: the list empties)."""
    stopping = list(children)
    children.clear()
    for pid in stopping:
        try:
            os.kill(pid, how)
        except ProcessLookupError:
            continue
    for pid in stopping:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            continue
