"""Memory under hostile volume: prints figures, asserts nothing.

    python bench/bench_memory.py [--deliveries 10000] [--header-requests 1000]

A real `python -m mockserver serve` process, measured from /proc:

1. RSS after N Pixazo submits with `sync_mode` (every image inline as a data URI)
   and X-Webhook-URL, once every webhook has reached a loopback sink that reads
   and discards it;
2. RSS after M Segmind submits each carrying 100 KB of headers;

each against the same server's RSS after a warm-up, and set against the bytes
that went through, so the ratio says how much of what passed stayed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _load
from bench_server import free_port, serve_mock, wait_ready

MODEL = "grok-imagine-pro-text-to-image-quality"
PIXAZO = f"/pixazo/{MODEL}/v1/{MODEL}-request"


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class Sink:
    """A loopback receiver that reads each webhook whole, counts it, and forgets it."""

    def __init__(self, keep_ids: bool = False) -> None:
        self.count = 0
        self.bytes = 0
        # With keep_ids: how many times each job's webhook (its request_id) arrived.
        self.ids: Counter[str] | None = Counter() if keep_ids else None
        self.loop = asyncio.new_event_loop()
        self.port = free_port()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait(5)

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", self.port, backlog=1024)
        )
        ready.set()
        self.loop.run_until_complete(server.serve_forever())

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = await reader.readexactly(length)
        self.count += 1
        self.bytes += length
        if self.ids is not None:
            self.ids[str(json.loads(body).get("request_id"))] += 1
        del body
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        await writer.drain()
        writer.close()


def one_by_one(port: int, raw: bytes, count: int) -> dict[int, int]:
    """Each request on a fresh connection (uvicorn's h11 refuses a second large header
    block on a kept-alive one)."""
    statuses: dict[int, int] = {}
    for _ in range(count):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(raw)
            head = sock.recv(64)
            status = int(head.split()[1])
            statuses[status] = statuses.get(status, 0) + 1
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--header-requests", type=int, default=1_000)
    args = parser.parse_args()

    port = free_port()
    server = serve_mock(port, profile="instant")
    origin = f"http://127.0.0.1:{port}"
    host = f"127.0.0.1:{port}"
    sink = Sink()
    try:
        wait_ready(f"{origin}/__mock/health")
        warm = [
            _load.request_bytes(
                "POST",
                "/segmind/v2/grok-imagine-image",
                host,
                {"x-api-key": "k", "content-type": "application/json"},
                b'{"prompt": "warm"}',
            )
            for _ in range(500)
        ]
        _load.run("127.0.0.1", port, warm)
        baseline = rss_mb(server.pid)

        body = json.dumps({"prompt": "p", "sync_mode": True, "resolution": "1k"}).encode()
        headers = {
            "Ocp-Apim-Subscription-Key": "k",
            "content-type": "application/json",
            "X-Webhook-URL": f"http://127.0.0.1:{sink.port}/hook",
        }
        submits = [_load.request_bytes("POST", PIXAZO, host, headers, body)] * args.deliveries
        began = time.perf_counter()
        _load.run("127.0.0.1", port, submits)
        while sink.count < args.deliveries and time.perf_counter() - began < 600:
            time.sleep(0.1)  # waiting for another process's deliveries
        delivered_in = time.perf_counter() - began
        after_webhooks = rss_mb(server.pid)

        big = {"x-api-key": "k", "content-type": "application/json", "connection": "close"}
        big.update({f"x-padding-{i}": "h" * 10_000 for i in range(10)})
        padded = _load.request_bytes(
            "POST", "/segmind/v2/grok-imagine-image", host, big, b'{"prompt": "x"}'
        )
        statuses = one_by_one(port, padded, args.header_requests)
        if statuses != {200: args.header_requests}:
            refused = httpx.get(f"{origin}/__mock/journal?status=400").json()["entries"]
            print(f"padded requests answered {statuses}; refusals: {[e['error'] for e in refused]}")
        after_headers = rss_mb(server.pid)
        journal = httpx.get(f"{origin}/__mock/journal?limit=1").json()["entries"][0]
        kept = len(json.dumps(journal["request_headers"]))
    finally:
        server.terminate()
        server.wait(10)

    sent_mb = sink.bytes / 2**20
    headers_mb = args.header_requests * len(padded) / 2**20
    print(f"server RSS after a warm-up of 500 submits: {baseline:.1f} MB")
    print(
        f"{sink.count:,} sync_mode webhooks delivered ({sent_mb:,.0f} MB of bodies) in "
        f"{delivered_in:.1f} s: RSS {after_webhooks:.1f} MB, "
        f"+{after_webhooks - baseline:.1f} MB = {(after_webhooks - baseline) / sent_mb:.3f} "
        "MB kept per MB sent"
    )
    print(
        f"{args.header_requests:,} requests with {len(padded) // 1000} KB of headers "
        f"({headers_mb:,.0f} MB): RSS {after_headers:.1f} MB, "
        f"+{after_headers - after_webhooks:.1f} MB = "
        f"{(after_headers - after_webhooks) / headers_mb:.3f} MB kept per MB received; "
        f"the journal keeps {kept:,} bytes of each header set"
    )


if __name__ == "__main__":
    main()
