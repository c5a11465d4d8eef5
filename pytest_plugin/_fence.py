"""Fail closed: while a grok_mock fixture is active, no client reaches a real provider host.

The in-process fixture serves the provider hosts to the clients it intercepts
(httpx through respx, requests through responses). Every other way out is
guarded below the clients, before a name is looked up or a socket opened:

- `socket.getaddrinfo`, which every Python-level client resolves through
  (http.client and urllib, urllib3 and requests, httpcore, asyncio);
- asyncio's `loop.getaddrinfo`, so an async client (aiohttp) is named;
- pycurl (libcurl resolves in C) at `setopt(URL, ...)`, and gRPC (its C core
  resolves too) at channel creation, whether they are loaded already or only
  imported while the guard is up (an import hook guards them as they load).

A blocked call raises `NotIntercepted`, a BaseException so that a client's
`except Exception: retry` cannot swallow it, naming the library that was not
served and what to do instead. The guard is process-wide while any fixture
holds it; its state lives on the patched function, not in this module.
"""

from __future__ import annotations

import asyncio.base_events
import contextlib
import importlib.abc
import importlib.machinery
import socket
import sys
import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping
from types import FrameType, ModuleType
from typing import Any
from urllib.parse import urlsplit

from mockserver.engine.errors import NotIntercepted
from pytest_plugin._grpc import GrpcRoute, call_plugins, record_plugins

__all__ = ["NotIntercepted", "fail_closed"]

_MARK = "_grok_mock_fence"
INSTALL = "pip install 'grok-imagine-mock[pytest]'"
# Top-level modules of client libraries, outermost (closest to user code) first.
_LIBRARIES = (
    ("requests", "requests"),
    ("aiohttp", "aiohttp"),
    ("httpx2", "httpx2"),
    ("httpcore2", "httpx2"),
    ("httpx", "httpx"),
    ("httpcore", "httpx"),
    ("urllib3", "urllib3"),
    ("urllib", "urllib"),
    ("http", "http.client"),
    ("pycurl", "pycurl"),
    ("grpc", "grpc"),
    ("tornado", "tornado"),
    ("twisted", "twisted"),
    ("websockets", "websockets"),
)
_SERVED_BY = {"httpx": "respx", "httpx2": "respx", "requests": "responses"}


def _missing(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return True
    return False


def _library(frame: FrameType | None) -> str:
    """The outermost client library on the stack (requests over urllib3 over http.client)."""
    found: str | None = None
    rank = len(_LIBRARIES)
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        top = module.split(".", 1)[0]
        for index, (name, library) in enumerate(_LIBRARIES):
            if top == name and index <= rank:
                found, rank = library, index
        frame = frame.f_back
    return found or "a client library"


def _hint(library: str, provider: str, served: bool) -> str:
    served_by = _SERVED_BY.get(library)
    server = (
        f"use the grok_mock_server fixture and point the client at "
        f"grok_mock_server.url({provider!r})"
    )
    if not served:
        return (
            f"{provider} is not among the providers this test serves: add it to "
            "@pytest.mark.grok_mock(providers=[...])"
        )
    if served_by is not None and _missing(served_by):
        return (
            f"grok_mock serves {library} in-process through {served_by}, which is not "
            f"installed: {INSTALL} (or {server})"
        )
    if served_by is not None:
        return f"this {library} client was not intercepted (a custom transport?); {server}"
    return f"grok_mock does not serve {library} in-process; {server}"


class _Fence:
    """The guard's state: which provider hosts are fenced, by how many fixtures."""

    def __init__(self, originals: dict[str, Any]) -> None:
        self.originals = originals
        self.hosts: Counter[str] = Counter()
        self.served: Counter[str] = Counter()
        self.providers: dict[str, str] = {}
        # Hosts whose gRPC channels go to the emulator instead (xAI's, for its SDK).
        self.routes: dict[str, GrpcRoute] = {}
        self.lock = threading.Lock()

    def check(self, host: Any, frame: FrameType | None, library: str | None = None) -> None:
        name = host.decode() if isinstance(host, bytes) else str(host or "")
        name = name.strip("[]").rstrip(".").lower()
        if self.hosts.get(name):
            provider = self.providers.get(name, name)
            library = library or _library(frame)
            hint = _hint(library, provider, bool(self.served.get(name)))
            raise NotIntercepted(
                f"grok_mock: {library} tried to reach {name}, a real {provider} host; it was "
                f"stopped before any lookup or connection. {hint}"
            )


def _installed() -> _Fence | None:
    fence: _Fence | None = getattr(socket.getaddrinfo, _MARK, None)
    return fence


def _install() -> _Fence:
    real_getaddrinfo = socket.getaddrinfo
    real_loop_getaddrinfo = asyncio.base_events.BaseEventLoop.getaddrinfo
    fence = _Fence({"getaddrinfo": real_getaddrinfo, "loop": real_loop_getaddrinfo})

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        fence.check(host, sys._getframe(1))
        return real_getaddrinfo(host, *args, **kwargs)

    async def loop_getaddrinfo(self: Any, host: Any, *args: Any, **kwargs: Any) -> Any:
        fence.check(host, sys._getframe(1))
        return await real_loop_getaddrinfo(self, host, *args, **kwargs)

    setattr(getaddrinfo, _MARK, fence)
    socket.getaddrinfo = getaddrinfo
    asyncio.base_events.BaseEventLoop.getaddrinfo = loop_getaddrinfo  # type: ignore[method-assign]
    _guard_pycurl(fence)
    _guard_grpc(fence)
    fence.originals["hook"] = hook = _GuardOnImport(fence)
    sys.meta_path.insert(0, hook)
    return fence


class _GuardOnImport(importlib.abc.MetaPathFinder):
    """Guards pycurl and gRPC when they are first imported while the fence is up."""

    def __init__(self, fence: _Fence) -> None:
        self.fence = fence

    def find_spec(
        self, name: str, path: Any = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name not in ("pycurl", "grpc", "grpc.aio"):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec: importlib.machinery.ModuleSpec | None = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _GuardingLoader(spec.loader, self.fence)
                return spec
        return None


class _GuardingLoader(importlib.abc.Loader):
    def __init__(self, loader: Any, fence: _Fence) -> None:
        self.loader = loader
        self.fence = fence

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        module: ModuleType | None = self.loader.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        if module.__name__ == "pycurl":
            _guard_pycurl(self.fence)
        else:
            _guard_grpc(self.fence)


def _uninstall(fence: _Fence) -> None:
    if getattr(socket.getaddrinfo, _MARK, None) is fence:
        socket.getaddrinfo = fence.originals["getaddrinfo"]
    asyncio.base_events.BaseEventLoop.getaddrinfo = fence.originals["loop"]  # type: ignore[method-assign]
    with contextlib.suppress(ValueError):
        sys.meta_path.remove(fence.originals.pop("hook"))
    for module_name, attribute in (("pycurl", "Curl"),):
        original = fence.originals.get(f"{module_name}.{attribute}")
        if original is not None:
            setattr(sys.modules[module_name], attribute, original)
    for key, original in fence.originals.items():
        if key.startswith("grpc"):
            owner, _, attribute = key.rpartition(".")
            setattr(sys.modules[owner], attribute, original)


def _guard_pycurl(fence: _Fence) -> None:
    pycurl = sys.modules.get("pycurl")
    if pycurl is None or "pycurl.Curl" in fence.originals:
        return
    original = pycurl.Curl
    url_option = pycurl.URL

    class GuardedCurl(original):  # type: ignore[misc, valid-type]
        def setopt(self, option: int, value: Any) -> Any:
            if option == url_option:
                text = value.decode() if isinstance(value, bytes) else str(value)
                fence.check(urlsplit(text).hostname, None, "pycurl")
            return super().setopt(option, value)

    fence.originals["pycurl.Curl"] = original
    pycurl.Curl = GuardedCurl  # type: ignore[attr-defined]


def _grpc_host(target: str) -> str:
    """The host of a gRPC target: 'api.x.ai:443', 'dns:///api.x.ai:443', '[::1]:50051'."""
    if "://" in target:
        target = target.split("://", 1)[1].split("/", 1)[-1]
    if target.startswith("["):
        return target[1 : target.find("]")]
    return target.rsplit(":", 1)[0] if target.count(":") == 1 else target


def _guard_grpc(fence: _Fence) -> None:
    for module_name in ("grpc", "grpc.aio"):
        module = sys.modules.get(module_name)
        if module is None:
            continue
        for attribute in ("insecure_channel", "secure_channel"):
            original = getattr(module, attribute, None)
            if original is None or f"{module_name}.{attribute}" in fence.originals:
                continue
            fence.originals[f"{module_name}.{attribute}"] = original
            guard = _channel_guard(fence, module_name, attribute == "secure_channel", original)
            setattr(module, attribute, guard)
    _record_credentials(fence)


def _channel_guard(
    fence: _Fence, module_name: str, secure: bool, original: Callable[..., Any]
) -> Callable[..., Any]:
    def channel(target: str, *args: Any, **kwargs: Any) -> Any:
        host = _grpc_host(str(target))
        route = fence.routes.get(host.lower())
        if route is not None:
            return route.channel(module_name, secure, fence.originals, args, kwargs)
        fence.check(host, None, "grpc")
        return original(target, *args, **kwargs)

    return channel


def _record_credentials(fence: _Fence) -> None:
    """Call credentials remember their metadata plugins, so that a redirected channel can
    still send the key they carry."""
    grpc: Any = sys.modules.get("grpc")
    if grpc is None or "grpc.metadata_call_credentials" in fence.originals:
        return
    made = grpc.metadata_call_credentials

    def metadata_call_credentials(plugin: Any, *args: Any, **kwargs: Any) -> Any:
        return record_plugins(made(plugin, *args, **kwargs), [plugin])

    def composed(original: Callable[..., Any]) -> Callable[..., Any]:
        def compose(*parts: Any) -> Any:
            plugins = [p for part in parts for p in call_plugins(part)]
            return record_plugins(original(*parts), plugins)

        return compose

    fence.originals["grpc.metadata_call_credentials"] = made
    grpc.metadata_call_credentials = metadata_call_credentials
    for name in ("composite_channel_credentials", "composite_call_credentials"):
        fence.originals[f"grpc.{name}"] = getattr(grpc, name)
        setattr(grpc, name, composed(getattr(grpc, name)))


@contextlib.contextmanager
def fail_closed(
    hosts: Mapping[str, str],
    served: Collection[str] = (),
    grpc_routes: Mapping[str, GrpcRoute] | None = None,
) -> Iterator[None]:
    """While inside, the `hosts` (host name -> provider) cannot be reached except through
    the emulator, which serves those in `served`; gRPC channels to a host in
    `grpc_routes` go where its route says. Nested uses (both fixtures, pytester's inner
    runs) share one guard; it is installed and removed on the test's thread."""
    names = [h.lower() for h in hosts]
    serving = [h.lower() for h in served]
    routes = {h.lower(): r for h, r in (grpc_routes or {}).items()}
    fence = _installed() or _install()
    with fence.lock:
        fence.hosts.update(names)
        fence.served.update(serving)
        fence.providers.update({h.lower(): p for h, p in hosts.items()})
        previous = {h: fence.routes.get(h) for h in routes}
        fence.routes.update(routes)
    try:
        yield
    finally:
        with fence.lock:
            fence.hosts.subtract(names)
            fence.served.subtract(serving)
            for host, route in previous.items():
                if route is None:
                    fence.routes.pop(host, None)
                else:
                    fence.routes[host] = route
            idle = not +fence.hosts
        if idle:
            _uninstall(fence)
