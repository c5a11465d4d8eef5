"""A small keep-alive HTTP/1.1 load generator, for when wrk is not installed.

It counts requests exactly (the memory benchmark needs 100,000 of them), which
wrk's duration-based runs do not.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass
class LoadResult:
    requests: int
    seconds: float
    statuses: dict[int, int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def request_bytes(
    method: str, path: str, host: str, headers: dict[str, str], body: bytes = b""
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _worker(
    host: str,
    port: int,
    requests: Sequence[bytes],
    statuses: dict[int, int],
    due: Callable[[int], float] | None = None,
) -> None:
    """Send each request in turn on one connection; `due(k)`: when the k-th may go."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for k, raw in enumerate(requests):
            if due is not None:
                await asyncio.sleep(max(0.0, due(k) - time.perf_counter()))
            writer.write(raw)
            status_line = await reader.readline()
            status = int(status_line.split()[1])
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if length:
                await reader.readexactly(length)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


def run(
    host: str,
    port: int,
    requests: Sequence[bytes],
    connections: int = 16,
    rate: float | None = None,
) -> LoadResult:
    """Send every request, spread over `connections` keep-alive connections; with `rate`,
    the n-th request overall goes no sooner than n / rate seconds after the start."""
    statuses: dict[int, int] = {}
    shares = [requests[i::connections] for i in range(connections)]

    async def main() -> float:
        started = time.perf_counter()

        def pace(first: int) -> Callable[[int], float] | None:
            if rate is None:
                return None
            return lambda k: started + (first + k * connections) / rate

        await asyncio.gather(
            *(_worker(host, port, share, statuses, pace(i)) for i, share in enumerate(shares))
        )
        return time.perf_counter() - started

    seconds = asyncio.run(main())
    return LoadResult(len(requests), seconds, statuses)
