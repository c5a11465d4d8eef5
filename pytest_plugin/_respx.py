"""httpx and httpx2 served in-process through respx (loaded only when respx is installed).

A respx router whose handlers send the emulated hosts' requests into the ASGI
app: respx's client-level mocker for httpx (it hands over the client's own
request, unparsed, and catches clients with custom transports too), and the
same router on respx's httpcore2 seam for httpx2 (the openai SDK), as the
respx author's pytest-httpx2 does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import httpx
import respx
from respx.mocks import HTTPCoreMocker, Mocker
from respx.models import AllMockedAssertionError, PassThrough

from mockserver.app import MockApp
from mockserver.engine.errors import InProcessFault
from pytest_plugin._guards import check_guards, is_loopback
from pytest_plugin._portal import NO_ANSWER, Portal, call_app, cut, httpx_error

_HTTPCORE2 = "grok-mock-httpcore2"
_HTTPCORE2_TARGETS = (
    "httpcore2._sync.connection.HTTPConnection",
    "httpcore2._sync.connection_pool.ConnectionPool",
    "httpcore2._sync.http_proxy.HTTPProxy",
    "httpcore2._async.connection.AsyncHTTPConnection",
    "httpcore2._async.connection_pool.AsyncConnectionPool",
    "httpcore2._async.http_proxy.AsyncHTTPProxy",
)


def _httpcore2_mocker() -> str:
    """respx's mocker for httpcore2 (what the openai SDK's httpx2 runs on), defined once.

    respx registers mockers by name for the whole process; a module imported twice
    (pytester's in-process runs) must not define it again.
    """
    if _HTTPCORE2 not in Mocker.registry:
        type(
            "HTTPCore2Mocker",
            (HTTPCoreMocker,),
            {
                "name": _HTTPCORE2,
                "targets": list(_HTTPCORE2_TARGETS),
            },
        )
    return _HTTPCORE2


class Interceptor(respx.MockRouter):
    """A respx router that serves the emulated hosts and lets every other host be."""

    def __init__(
        self,
        app: MockApp,
        portal: Portal,
        hosts: Sequence[str],
        *,
        strict: bool,
        using: str,
        guards: Sequence[Callable[[], None]] = (),
    ) -> None:
        super().__init__(assert_all_called=False, assert_all_mocked=True, using=using)
        self._app = app
        self._portal = portal
        self._hosts = frozenset(hosts)
        self._strict = strict
        self._guards = guards

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.host not in self._hosts:
            raise self._elsewhere(request)
        check_guards(self._guards)
        try:
            return self._portal.run(call_app(self._app, request))
        except InProcessFault as fault:
            raise self._error(fault, request) from None

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.host not in self._hosts:
            raise self._elsewhere(request)
        check_guards(self._guards)
        try:
            return await call_app(self._app, request)
        except InProcessFault as fault:
            raise self._error(fault, request) from None

    def _error(self, fault: InProcessFault, request: httpx.Request) -> Exception:
        if self.using == _HTTPCORE2:
            return _httpcore2_error(fault)
        return httpx_error(fault, request)

    def _elsewhere(self, request: httpx.Request) -> Exception:
        if self._strict and not is_loopback(request.url.host):
            return AllMockedAssertionError(
                f"grok_mock(strict_hosts=True): {request.method} {request.url} is not to an "
                f"emulated provider host ({', '.join(sorted(self._hosts))})"
            )
        routers = self.Mocker.routers if self.Mocker else []
        if routers and routers[-1] is not self:
            # Another respx router comes after ours: let it decide about this host.
            return AllMockedAssertionError(f"{request.url.host} is not emulated")
        return PassThrough(f"not emulated: {request.url}", request=request, origin=None)  # type: ignore[arg-type]


def routers(
    app: MockApp,
    portal: Portal,
    hosts: Sequence[str],
    strict: bool,
    guards: Sequence[Callable[[], None]],
    httpcore2: bool,
) -> list[Interceptor]:
    """The routers to start: httpx always, httpx2 when httpcore2 is installed."""
    found = [Interceptor(app, portal, hosts, strict=strict, using="httpx", guards=guards)]
    if httpcore2:
        found.append(
            Interceptor(app, portal, hosts, strict=strict, using=_httpcore2_mocker(), guards=guards)
        )
    return found


def _httpcore2_error(fault: InProcessFault) -> Exception:
    """What httpcore2 raises, which httpx2 (the openai SDK) turns into its own error."""
    import httpcore2

    if fault.name == "disconnect":
        return httpcore2.ReadError("[Errno 104] Connection reset by peer")
    if fault.name in ("empty-response", "garbage-response"):
        return httpcore2.RemoteProtocolError(NO_ANSWER)
    if fault.name == "truncated-body":
        return httpcore2.RemoteProtocolError(cut(fault))
    return httpcore2.ReadTimeout("timed out")
