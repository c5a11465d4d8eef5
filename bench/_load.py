"""A small keep-alive HTTP/1.1 load generator, for when wrk is not installed.

It counts requests exactly (the memory benchmark needs 100,000 of them), which
wrk's duration-based runs do not.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
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
    host: str, port: int, requests: Sequence[bytes], statuses: dict[int, int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for raw in requests:
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


def run(host: str, port: int, requests: Sequence[bytes], connections: int = 16) -> LoadResult:
    """Send every request, spread over `connections` keep-alive connections."""
    statuses: dict[int, int] = {}
    shares = [requests[i::connections] for i in range(connections)]

    async def main() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(_worker(host, port, share, statuses) for share in shares if share))
        return time.perf_counter() - started

    seconds = asyncio.run(main())
    return LoadResult(len(requests), seconds, statuses)
