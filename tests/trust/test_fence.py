"""The outbound fence: only loopback and allow-listed hosts, a total deadline, bounded replies."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from mockserver.engine.outbound import OutboundFailed, OutboundRefused
from mockserver.outbound import Fence, HttpOutbound, host_listed, user_agent


def admit(url: str, allowed: tuple[str, ...] = (), fence: Fence | None = None) -> object:
    return asyncio.run((fence or Fence()).admit(url, allowed))


def refused(url: str, allowed: tuple[str, ...] = (), fence: Fence | None = None) -> str:
    with pytest.raises(OutboundRefused) as caught:
        admit(url, allowed, fence)
    return str(caught.value)


def test_loopback_literals_and_localhost_are_admitted() -> None:
    for url in ("http://127.0.0.1:9/x", "http://[::1]:9/x", "http://127.8.9.10/x"):
        assert admit(url)
    assert "127.0.0.1" in admit("http://localhost:9/x").addresses  # type: ignore[attr-defined]


def test_other_addresses_need_the_allow_list() -> None:
    assert "not loopback or allow-listed" in refused("http://10.0.0.1/x")
    assert admit("http://10.0.0.1/x", ("10.0.0.0/8",))
    assert admit("http://10.0.0.1/x", ("10.0.0.1",))
    assert "not loopback" in refused("http://10.0.0.1/x", ("10.1.0.0/16",))


def test_names_off_the_list_are_refused_without_a_lookup() -> None:
    looked_up: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return ["127.0.0.1"]

    fence = Fence(resolve)
    assert "was not even looked up" in refused("https://hooks.example.com/x", fence=fence)
    assert "example.com.evil.net" in refused(
        "https://example.com.evil.net/x", ("*.example.com",), fence
    )
    assert looked_up == []
    # Listed names go wherever they resolve: the user asked for them.
    assert admit("https://a.b.example.com/x", ("*.example.com",), fence)
    assert looked_up == ["a.b.example.com"]


def test_a_localhost_name_that_resolves_elsewhere_is_refused() -> None:
    async def rebinding(host: str, port: int) -> list[str]:
        return ["127.0.0.1", "93.184.216.34"]

    message = refused("http://hooks.localhost:8080/x", fence=Fence(rebinding))
    assert "resolves to 93.184.216.34" in message


def test_only_http_urls() -> None:
    assert "not an http(s) URL" in refused("ftp://127.0.0.1/x")
    assert "not an http(s) URL" in refused("file:///etc/passwd")
    assert "invalid port" in refused("http://127.0.0.1:99999/x")


def test_host_listing_patterns() -> None:
    assert host_listed("hooks.example.com", ("hooks.example.com",))
    assert host_listed("a.b.example.com", ("*.example.com",))
    assert not host_listed("example.com.evil.net", ("*.example.com",))
    assert not host_listed("127.0.0.1", ())
    assert host_listed("::1", ("::1/128",))
    assert not host_listed("hooks.example.com", ("not a network/8",))


@pytest.fixture
def dribbler() -> Iterator[str]:
    """A server that answers one byte every 0.3 s, forever."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                peer, _ = server.accept()
            except OSError:
                continue
            peer.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n" + b"x" * 1000:
                if stop.is_set():
                    break
                try:
                    peer.send(bytes([byte]))
                except OSError:
                    break
                time.sleep(0.3)
            peer.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    stop.set()
    thread.join(5)
    server.close()


def test_the_deadline_covers_the_whole_attempt(dribbler: str) -> None:
    # A read timeout would never fire here: each byte comes well within it.
    began = time.monotonic()
    with pytest.raises(OutboundFailed, match="no complete answer within 1 s"):
        asyncio.run(HttpOutbound().send("POST", dribbler, allowed=(), deadline=1.0, limit=100))
    assert time.monotonic() - began < 2.5


@pytest.fixture
def big_reply() -> Iterator[tuple[str, list[bytes]]]:
    """A server that answers 50 MB (chunked) and records what it was sent."""
    seen: list[bytes] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve() -> None:
        peer, _ = server.accept()
        seen.append(peer.recv(65536))
        peer.sendall(b"HTTP/1.1 500 Oops\r\ntransfer-encoding: chunked\r\n\r\n")
        chunk = b"y" * 65536
        try:
            for _ in range(800):
                peer.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass  # the client stopped reading, as it should
        peer.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/hook", seen
    thread.join(10)
    server.close()


def test_a_reply_is_read_only_up_to_the_limit(big_reply: tuple[str, list[bytes]]) -> None:
    url, seen = big_reply
    reply = asyncio.run(
        HttpOutbound().send(
            "POST", url, allowed=(), deadline=5, limit=1000, body=b"{}", headers={"x-a": "b"}
        )
    )
    assert (reply.status, len(reply.body), reply.truncated) == (500, 1000, True)
    head = seen[0].decode()
    assert f"user-agent: {user_agent()}" in head.lower()
    assert "x-a: b" in head
    assert head.endswith("\r\n\r\n{}")
