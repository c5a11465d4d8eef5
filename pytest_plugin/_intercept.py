"""Serving the real provider hosts from an in-process emulator, to every client library
whose interceptor is installed: httpx and httpx2 through respx (`_respx`), requests
through responses (`_requests`). Whatever is not served is stopped by the fail-closed
guard (`_fence`), which names what to install. Other hosts pass through untouched
unless strict.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence

from mockserver.app import MockApp
from pytest_plugin._portal import Portal


def importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def intercept(
    app: MockApp,
    portal: Portal,
    hosts: Sequence[str],
    *,
    strict: bool = False,
    guards: Sequence[Callable[[], None]] = (),
) -> Iterator[None]:
    """Serve `hosts` from `app` for httpx, httpx2 and requests clients in this process.

    `guards` run before each emulated request, in the caller's thread.
    """
    with contextlib.ExitStack() as stack:
        if importable("respx"):
            from pytest_plugin._respx import routers

            for router in routers(app, portal, hosts, strict, guards, importable("httpcore2")):
                router.start()
                stack.callback(router.stop, quiet=True)
        if importable("responses"):
            from pytest_plugin._requests import requests_mock

            mock = requests_mock(app, portal, hosts, strict, guards)
            mock.start()
            stack.callback(mock.reset)
            stack.callback(mock.stop)
        yield
