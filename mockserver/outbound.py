"""The outbound port: HTTP/1.1 to loopback and allow-listed hosts, and nowhere else.

Deliberately not httpx: tests mock httpx (respx, users' own routers), and the
emulator's webhooks must reach their receiver whatever a test mocks. A small
h11 client on asyncio streams also lets the fence connect to exactly the
address it checked (no second lookup to rebind), bound a whole attempt with
one deadline, and stop reading a reply at a limit.

The fence, in order:
- an IP literal is admitted when it is loopback or allow-listed;
- a name on the allow-list is admitted wherever it resolves (the user asked);
- `localhost` and `*.localhost` are resolved, and admitted only when every
  address is loopback (or inside an allow-listed network);
- any other name is refused without being looked up, so no DNS query leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Mapping
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from contracts.record import record
from mockserver.engine.outbound import OutboundFailed, OutboundRefused, Reply

if TYPE_CHECKING:
    import h11

__all__ = ["Fence", "HttpOutbound", "host_listed", "user_agent"]

Resolver = Callable[[str, int], Awaitable[list[str]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_READ = 65536


@cache
def user_agent() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"grok-imagine-mock/{version('grok-imagine-mock')}"
    except PackageNotFoundError:  # run from a source tree that is not installed
        return "grok-imagine-mock"


def _ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def host_listed(host: str, allowed: Iterable[str]) -> bool:
    """Whether `host` is on the allow-list: a name, `*.domain`, an IP or a network (CIDR)."""
    host = host.lower().strip("[]")
    address = _ip(host)
    for pattern in allowed:
        pattern = pattern.lower()
        if "/" in pattern:
            with contextlib.suppress(ValueError):
                if address is not None and address in ipaddress.ip_network(pattern, strict=False):
                    return True
        elif host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:])):
            return True
    return False


def _admitted(address: str, allowed: Iterable[str]) -> bool:
    ip = _ip(address)
    return ip is not None and (ip.is_loopback or host_listed(address, allowed))


async def system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@record(slots=True)
class Target:
    """Where a request may go: the addresses checked, and what to tell the peer."""

    tls: bool
    host: str
    port: int
    target: str
    addresses: tuple[str, ...]

    @property
    def authority(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.tls else 80
        return shown if self.port == default else f"{shown}:{self.port}"


class Fence:
    def __init__(self, resolve: Resolver = system_resolve) -> None:
        self._resolve = resolve

    async def admit(self, url: str, allowed: tuple[str, ...]) -> Target:
        """The checked target for `url`, or OutboundRefused saying why not."""
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            raise OutboundRefused(f"{url!r} has an invalid port") from None
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            raise OutboundRefused(f"{url!r} is not an http(s) URL")
        tls = parts.scheme == "https"
        port = port or (443 if tls else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        listed = host_listed(host, allowed)
        shown = ", ".join(allowed) or "empty"
        if _ip(host) is not None:
            if not _admitted(host, allowed):
                raise OutboundRefused(
                    f"refused: {host} is not loopback or allow-listed (allow-list: {shown})"
                )
            return Target(tls, host, port, target, (host.strip("[]"),))
        if not listed and host != "localhost" and not host.endswith(".localhost"):
            raise OutboundRefused(
                "refused: only loopback and allow-listed hosts are contacted, and "
                f"{host} is neither (allow-list: {shown}); it was not even looked up"
            )
        try:
            addresses = await self._resolve(host, port)
        except OSError as exc:
            raise OutboundFailed(f"ConnectError: cannot resolve {host} ({exc})") from None
        if not listed:
            outside = [a for a in addresses if not _admitted(a, allowed)]
            if outside or not addresses:
                raise OutboundRefused(
                    f"refused: {host} resolves to {', '.join(outside) or 'nothing'}, "
                    "which is not loopback; allow-list the host to reach it"
                )
        return Target(tls, host, port, target, tuple(addresses))


class HttpOutbound:
    """The port the server layer hands the engine (`Emulator.outbound`)."""

    def __init__(self, fence: Fence | None = None) -> None:
        self.fence = fence or Fence()

    async def send(
        self,
        method: str,
        url: str,
        *,
        allowed: tuple[str, ...],
        deadline: float,
        limit: int,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        try:
            return await asyncio.wait_for(
                self._send(method, url, allowed, limit, body, headers or {}), deadline
            )
        except asyncio.TimeoutError:
            raise OutboundFailed(
                f"TimeoutError: no complete answer within {deadline:g} s"
            ) from None

    async def _send(
        self,
        method: str,
        url: str,
        allowed: tuple[str, ...],
        limit: int,
        body: bytes,
        headers: Mapping[str, str],
    ) -> Reply:
        import h11  # on the first webhook or input image: start-up does not pay for it

        target = await self.fence.admit(url, allowed)
        reader, writer = await _connect(target)
        try:
            connection = h11.Connection(h11.CLIENT)
            writer.write(_request(connection, target, method, body, headers))
            await writer.drain()
            return await _read_reply(connection, reader, limit)
        except h11.RemoteProtocolError as exc:
            raise OutboundFailed(f"ProtocolError: the answer is not valid HTTP ({exc})") from None
        except OSError as exc:
            raise OutboundFailed(f"ReadError: {exc}") from None
        finally:
            writer.transport.abort()  # read what we wanted; no lingering goodbye


async def _connect(target: Target) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    context = ssl.create_default_context() if target.tls else None
    error: OSError | None = None
    for address in target.addresses:
        try:
            return await asyncio.open_connection(
                address,
                target.port,
                ssl=context,
                server_hostname=target.host if context else None,
            )
        except OSError as exc:
            error = exc
    raise OutboundFailed(f"ConnectError: {error}")


def _request(
    connection: h11.Connection,
    target: Target,
    method: str,
    body: bytes,
    headers: Mapping[str, str],
) -> bytes:
    head = [
        ("host", target.authority),
        ("user-agent", user_agent()),
        ("accept", "*/*"),
        ("connection", "close"),
        *headers.items(),
    ]
    import h11

    if body or method not in ("GET", "HEAD"):
        head.append(("content-length", str(len(body))))
    data = connection.send(h11.Request(method=method, target=target.target, headers=head)) or b""
    if body:
        data += connection.send(h11.Data(data=body)) or b""
    return data + (connection.send(h11.EndOfMessage()) or b"")


async def _read_reply(
    connection: h11.Connection, reader: asyncio.StreamReader, limit: int
) -> Reply:
    import h11

    status: int | None = None
    kept = bytearray()
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            connection.receive_data(await reader.read(_READ))
        elif isinstance(event, h11.Response):
            status = event.status_code
        elif isinstance(event, h11.Data):
            room = limit - len(kept)
            kept += event.data[:room]
            if len(event.data) > room:
                return Reply(status or 0, bytes(kept), truncated=True)
        elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
            return Reply(status or 0, bytes(kept))
