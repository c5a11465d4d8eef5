"""A real `redis-server` on a free loopback port, for the Redis state store's tests.

Debian's package (`apt-get install -y redis-server`, which `.ci/run` does when it is
missing). Without it the Redis tests skip with the reason, unless
GROK_MOCK_REQUIRE_REDIS is set (as in CI), where they fail instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _missing() -> str | None:
    if shutil.which("redis-server") is None:
        return "redis-server (apt-get install -y redis-server)"
    try:
        import redis  # noqa: F401
    except ImportError:
        return "the redis package (pip install 'grok-imagine-mock[redis]')"
    return None


def require_redis() -> None:
    missing = _missing()
    if missing is not None:
        if os.environ.get("GROK_MOCK_REQUIRE_REDIS"):
            pytest.fail(f"the Redis store's tests need {missing}", pytrace=False)
        pytest.skip(f"the Redis store's tests need {missing}")


@contextmanager
def redis_server() -> Iterator[str]:
    """Start one; answers its URL. No persistence: tests start from nothing."""
    require_redis()
    port = _free_port()
    with tempfile.TemporaryDirectory() as workdir:
        process = subprocess.Popen(
            [
                "redis-server",
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", workdir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                        sock.sendall(b"PING\r\n")
                        if sock.recv(16).startswith(b"+PONG"):
                            break
                except OSError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError("redis-server did not start") from None
                    time.sleep(0.02)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait(10)
