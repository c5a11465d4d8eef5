"""Shared fixtures: one emulator per test on a manual clock, served in-process or live."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image
from starlette.testclient import TestClient

from mockserver import Emulator, LiveServer, ManualClock, create_app

KEY = "test-key"
pytest_plugins = ["pytester"]


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
