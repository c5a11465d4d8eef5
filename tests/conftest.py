"""Shared fixtures: one emulator per test on a manual clock, served in-process or live,
over each state store (in this process, and in a real Redis)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import settings
from PIL import Image
from starlette.testclient import TestClient

from mockserver import Emulator, LiveServer, ManualClock, create_app
from mockserver.engine.store import State
from tests.redis_server import redis_server

KEY = "test-key"
pytest_plugins = ["pytester"]

# CI must not fail on a draw it cannot replay: the suite's examples are fixed. Explore with
# `pytest --hypothesis-profile explore` (random draws, more of them).
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", max_examples=200)


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("hypothesis_profile", None) is None:
        settings.load_profile("ci")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


# The Redis runs double the provider suites: the full suite has them, the inner loop
# (`-m "not slow"`) keeps to the memory store.
@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.slow)])
def store(request: pytest.FixtureRequest) -> Iterator[State | None]:
    """Where the emulator keeps its state: None is this process (the default)."""
    if request.param == "memory":
        yield None
        return
    from mockserver.engine.store_redis import connect, redis_state

    client = connect(request.getfixturevalue("redis_url"))
    state = redis_state(client, namespace=f"test-{uuid.uuid4().hex}")
    yield state
    state.clear()
    client.close()


@pytest.fixture
def emulator(clock: ManualClock, store: State | None) -> Emulator:
    return Emulator(clock=clock, profile="instant", seed=1, state=store)


@pytest.fixture
def client(emulator: Emulator) -> Iterator[TestClient]:
    with TestClient(create_app(emulator), base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def live(emulator: Emulator) -> Iterator[LiveServer]:
    with LiveServer(emulator) as server:
        yield server


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image
