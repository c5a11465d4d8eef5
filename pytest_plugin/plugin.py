"""The pytest plugin: `grok_mock`, `grok_mock_server` and `grok_webhook_receiver`.

Loading it imports pytest and the standard library only; the emulator and its
web stack load when a test first asks for a fixture.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mockserver import Emulator
    from pytest_plugin._controller import GrokMock
    from pytest_plugin._fixtures import Options
    from pytest_plugin._portal import Portal
    from pytest_plugin.receiver import WebhookReceiver

_PROFILES = ("instant", "fast", "realistic", "polls", "stuck")
_CONTROLLERS = pytest.StashKey[list["GrokMock"]]()
_MARKER = (
    "grok_mock(profile=, seed=, providers=, strict_hosts=False, virtual_sleep=False, "
    "**settings): options for the grok_mock fixtures of this test (settings are "
    "mockserver.Settings fields, e.g. keys=, default_balance=, allowed_hosts=)"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grok-mock", "grok-imagine-mock emulator")
    group.addoption(
        "--grok-mock-seed",
        type=int,
        default=None,
        help="seed for every grok_mock emulator (ids, timings, images); a marker's wins",
    )
    group.addoption(
        "--grok-mock-state",
        default=None,
        metavar="URL",
        help="keep every grok_mock emulator's state in this Redis (redis://HOST:PORT/DB), "
        "each test under a namespace of its own; a marker's state= wins",
    )
    group.addoption(
        "--grok-mock-profile",
        choices=_PROFILES,
        default=None,
        help="job profile for every grok_mock emulator (default: instant); a marker's wins",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", _MARKER)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, Any]:
    report = yield
    controllers = item.stash.get(_CONTROLLERS, [])
    shown = [c for c in controllers if c.journal_in_reports]
    if report.when == "call" and report.failed and shown:
        report.sections.append(("grok-mock journal (last requests)", shown[0].journal_tail()))
    return report


def _remember(request: pytest.FixtureRequest, controller: GrokMock) -> None:
    request.node.stash.setdefault(_CONTROLLERS, []).append(controller)


@pytest.fixture(scope="session")
def _grok_mock_portal() -> Iterator[Portal]:
    from pytest_plugin._portal import Portal

    portal = Portal()
    yield portal
    portal.close()


@pytest.fixture
def _grok_mock_emulator(request: pytest.FixtureRequest) -> Iterator[tuple[Emulator, Options]]:
    from pytest_plugin._fixtures import make_emulator

    emulator, chosen = make_emulator(request)
    yield emulator, chosen
    emulator.webhooks.close()
    if emulator.settings.state is not None:  # the test's own namespace: leave nothing behind
        emulator.discard_state()


@pytest.fixture
def grok_mock(
    request: pytest.FixtureRequest,
    _grok_mock_emulator: tuple[Emulator, Options],
    _grok_mock_portal: Portal,
) -> Iterator[GrokMock]:
    """A fresh emulator serving the real provider hosts to httpx, httpx2 and requests code."""
    from pytest_plugin._fixtures import in_process

    emulator, chosen = _grok_mock_emulator
    with in_process(emulator, chosen, _grok_mock_portal) as controller:
        _remember(request, controller)
        yield controller


@pytest.fixture
def grok_mock_server(
    request: pytest.FixtureRequest, _grok_mock_emulator: tuple[Emulator, Options]
) -> Iterator[GrokMock]:
    """The same emulator behind a real uvicorn server on a free loopback port."""
    from pytest_plugin._fixtures import live

    emulator, chosen = _grok_mock_emulator
    with live(emulator, chosen) as controller:
        _remember(request, controller)
        yield controller


@pytest.fixture
def grok_webhook_receiver() -> Iterator[WebhookReceiver]:
    """A loopback HTTP server recording the webhooks it receives."""
    from pytest_plugin.receiver import WebhookReceiver

    with WebhookReceiver() as receiver:
        yield receiver
