"""xAI's official SDK, unchanged, under the fixtures: a gRPC channel to `api.x.ai` becomes
one to the emulator's gRPC Image service on loopback (started on first use), and the
key the SDK put in its call credentials rides along as call metadata. Nothing reaches
the real host; the fence sends the channel here instead of refusing it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

__all__ = ["GrpcRoute", "call_plugins"]

_PLUGINS = "_grok_mock_plugins"


def call_plugins(credentials: Any) -> tuple[Any, ...]:
    """The metadata plugins behind call (or composite channel) credentials, as recorded
    when they were made while the fence was up."""
    return tuple(getattr(credentials, _PLUGINS, ()))


def record_plugins(credentials: Any, plugins: Sequence[Any]) -> Any:
    # A credentials type that takes no attributes leaves the key unknown.
    with contextlib.suppress(AttributeError):
        setattr(credentials, _PLUGINS, tuple(plugins))
    return credentials


class _AuthContext(NamedTuple):
    service_url: str
    method_name: str


def _metadata(plugins: Sequence[Any], method: str | bytes) -> list[tuple[str, str]]:
    """What the plugins would have added to a call of `method` (the SDK's key)."""
    found: list[tuple[str, str]] = []

    def callback(metadata: Any, error: Any) -> None:
        if error is None and metadata:
            found.extend((str(k), str(v)) for k, v in metadata)

    text = method.decode() if isinstance(method, bytes) else method  # grpc.aio: bytes
    service, _, name = text.strip("/").rpartition("/")
    for plugin in plugins:
        plugin(_AuthContext(f"https://api.x.ai/{service}", name), callback)
    return found


class GrpcRoute:
    """Where channels to a served host go: the address from `address` (which may start a
    server on first use), with the recorded call credentials' metadata added."""

    def __init__(self, address: Callable[[], str]) -> None:
        self._address = address
        self._lock = threading.Lock()
        self._known: str | None = None

    def address(self) -> str:
        with self._lock:
            if self._known is None:
                self._known = self._address()
            return self._known

    def channel(
        self,
        module_name: str,
        secure: bool,
        originals: Mapping[str, Callable[..., Any]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        """The redirected channel for a `secure_channel` or `insecure_channel` call
        (`args` and `kwargs` without the target)."""
        import grpc

        credentials = (args[0] if args else kwargs.pop("credentials", None)) if secure else None
        rest = list(args[1:] if secure else args)
        options = kwargs.pop("options", rest.pop(0) if rest else None)
        compression = kwargs.pop("compression", rest.pop(0) if rest else None)
        plugins = call_plugins(credentials)
        insecure = originals[f"{module_name}.insecure_channel"]
        if module_name == "grpc.aio":
            interceptors = list(kwargs.pop("interceptors", rest.pop(0) if rest else None) or [])
            if plugins:
                interceptors.insert(0, _AioMetadata(plugins))
            return insecure(self.address(), options, compression, interceptors=interceptors)
        channel = insecure(self.address(), options, compression)
        return grpc.intercept_channel(channel, _Metadata(plugins)) if plugins else channel


def _with_metadata(
    details: Any,
    extra: list[tuple[str, str]],
    make: Callable[..., Any],
    wrap: Callable[..., Any] = list,
) -> Any:
    metadata = (
        wrap(*[*(details.metadata or ()), *extra])
        if wrap is not list
        else [
            *(details.metadata or ()),
            *extra,
        ]
    )
    more = [details.compression] if hasattr(details, "compression") else []
    return make(
        details.method,
        details.timeout,
        metadata,
        details.credentials,
        details.wait_for_ready,
        *more,
    )


class _Details(NamedTuple):
    method: str
    timeout: Any
    metadata: Any
    credentials: Any
    wait_for_ready: Any
    compression: Any = None


def _interceptor_bases() -> tuple[type, ...]:
    import grpc

    return (
        grpc.UnaryUnaryClientInterceptor,
        grpc.UnaryStreamClientInterceptor,
        grpc.StreamUnaryClientInterceptor,
        grpc.StreamStreamClientInterceptor,
    )


class _Metadata:
    """A sync interceptor adding the recorded key to every call."""

    def __new__(cls, plugins: Sequence[Any]) -> Any:
        bases = _interceptor_bases()

        def add(self: Any, continuation: Any, details: Any, request: Any) -> Any:
            extra = _metadata(plugins, details.method)
            return continuation(_with_metadata(details, extra, _Details), request)

        methods = {
            "intercept_unary_unary": add,
            "intercept_unary_stream": add,
            "intercept_stream_unary": add,
            "intercept_stream_stream": add,
        }
        return type("GrokMockMetadata", bases, methods)()


class _AioMetadata:
    """The same, for grpc.aio channels (unary calls: what the Image service has)."""

    def __new__(cls, plugins: Sequence[Any]) -> Any:
        import grpc

        async def add(self: Any, continuation: Any, details: Any, request: Any) -> Any:
            extra = _metadata(plugins, details.method)
            made = _with_metadata(details, extra, grpc.aio.ClientCallDetails, grpc.aio.Metadata)
            return await continuation(made, request)

        bases = (grpc.aio.UnaryUnaryClientInterceptor,)
        return type("GrokMockAioMetadata", bases, {"intercept_unary_unary": add})()
