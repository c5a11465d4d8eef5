"""gRPC round trip beside the REST one: prints figures, asserts nothing.

    python bench/bench_grpc.py [--requests 300]

One live server (instant profile) serves both. The same generation (one 1k image as a
URL) is asked for `--requests` times through xAI's official SDK over gRPC and through a
kept-alive httpx client over REST, after a warm-up; the medians, and gRPC as a ratio to
REST in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx
from xai_sdk import Client

from mockserver import Emulator, LiveServer

BODY = {"model": "grok-imagine-image", "prompt": "a lighthouse", "resolution": "1k"}


def timed(call: object, count: int) -> list[float]:
    assert callable(call)
    for _ in range(20):  # warm-up: connections, render cache
        call()
    seconds = []
    for _ in range(count):
        began = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - began)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with LiveServer(Emulator(profile="instant"), grpc=True) as server:
        assert server.grpc_address is not None
        sdk = Client(api_key="bench-key", api_host=server.grpc_address)
        rest = httpx.Client(headers={"Authorization": "Bearer bench-key"})
        url = server.url("xai") + "/v1/images/generations"

        def over_grpc() -> None:
            sdk.image.sample(prompt=BODY["prompt"], model=BODY["model"], resolution="1k")

        def over_rest() -> None:
            rest.post(url, json=BODY).raise_for_status()

        grpc_s = statistics.median(timed(over_grpc, args.requests))
        rest_s = statistics.median(timed(over_rest, args.requests))
    print(f"{args.requests} generations each, median round trip (instant profile):")
    print(f"  REST (httpx, kept alive):     {rest_s * 1000:6.2f} ms")
    print(f"  gRPC (xai-sdk, one channel):  {grpc_s * 1000:6.2f} ms  ({grpc_s / rest_s:.2f}x REST)")


if __name__ == "__main__":
    main()
