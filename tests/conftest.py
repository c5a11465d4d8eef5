"""Shared fixtures: one emulator per test on a manual clock, served in-process or live."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from hypothesis import settings
from PIL import Image
from starlette.testclient import TestClient

from mockserver import Emulator, LiveServer, ManualClock, create_app

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


@pytest.fixture
def emulator(clock: ManualClock) -> Emulator:
    return Emulator(clock=clock, profile="instant", seed=1)


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
