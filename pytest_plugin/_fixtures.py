"""What the fixtures do, loaded only when a test first asks for one."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib.util
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from contracts import CONTRACTS
from mockserver import Emulator, LiveServer, ManualClock, MockUsageError, Settings, create_app
from pytest_plugin._controller import GrokMock, real_base_urls
from pytest_plugin._fence import fail_closed
from pytest_plugin._grpc import GrpcRoute
from pytest_plugin._portal import Portal

_OWN = {"profile", "seed", "providers", "strict_hosts", "virtual_sleep"}
_SETTINGS = {f.name for f in dataclasses.fields(Settings)} - {"profile", "seed", "providers"}


@dataclasses.dataclass(frozen=True)
class Options:
    settings: Settings
    strict_hosts: bool
    virtual_sleep: bool


def options(request: pytest.FixtureRequest) -> Options:
    """The test's marker over the command line over the defaults (instant, seed 0)."""
    marker = request.node.get_closest_marker("grok_mock")
    given: dict[str, Any] = dict(marker.kwargs) if marker else {}
    if marker is not None and marker.args:
        pytest.fail("@pytest.mark.grok_mock takes keyword arguments only", pytrace=False)
    unknown = sorted(set(given) - _OWN - _SETTINGS)
    if unknown:
        pytest.fail(
            f"@pytest.mark.grok_mock: unknown option(s) {', '.join(unknown)}; known: "
            f"{', '.join(sorted(_OWN | _SETTINGS))}",
            pytrace=False,
        )
    config = request.config
    seed = given.pop("seed", config.getoption("grok_mock_seed"))
    profile = given.pop("profile", config.getoption("grok_mock_profile"))
    providers = given.pop("providers", None)
    strict = bool(given.pop("strict_hosts", False))
    virtual_sleep = bool(given.pop("virtual_sleep", False))
    if isinstance(providers, str):
        providers = [providers]
    given["seed"] = 0 if seed is None else seed
    given["profile"] = profile or "instant"
    state = given.setdefault("state", config.getoption("grok_mock_state"))
    if state is not None and "state_namespace" not in given:
        # One test's jobs, accounts and rules never meet another's in a shared Redis.
        given["state_namespace"] = f"grok-mock-test-{uuid.uuid4().hex}"
    if providers is not None:
        given["providers"] = tuple(providers)
    try:
        settings = Settings(**given)
    except (MockUsageError, TypeError) as exc:
        pytest.fail(f"@pytest.mark.grok_mock: {exc}", pytrace=False)
    return Options(settings, strict, virtual_sleep)


def make_emulator(request: pytest.FixtureRequest) -> tuple[Emulator, Options]:
    chosen = options(request)
    return Emulator(chosen.settings, clock=ManualClock()), chosen


def provider_hosts() -> dict[str, str]:
    """Every real provider host, whichever are served: none may be reached from a test."""
    return {host: c.provider for c in CONTRACTS.values() for host in c.hosts}


def _grpc_available(emulator: Emulator) -> bool:
    """xAI's gRPC service can be served: xai is, and the gRPC extra is installed."""
    return "xai" in emulator.contracts and _grpc_installed()


@functools.cache
def _grpc_installed() -> bool:
    """Looked up once a session: a fact about the environment, not about a test."""
    return all(importlib.util.find_spec(m) for m in ("grpc", "xai_sdk"))


@contextlib.contextmanager
def _grpc_routes(emulator: Emulator) -> Iterator[dict[str, GrpcRoute]]:
    """Routes for xAI's hosts to a gRPC server on loopback, started on first use."""
    if not _grpc_available(emulator):
        yield {}
        return
    servers: list[Any] = []

    def address() -> str:
        from mockserver.server import start_grpc

        server = start_grpc(create_app(emulator), "https://api.x.ai", "127.0.0.1", 0)
        servers.append(server)
        return f"127.0.0.1:{server.port}"

    route = GrpcRoute(address)
    try:
        yield dict.fromkeys(emulator.contracts["xai"].hosts, route)
    finally:
        for server in servers:
            server.stop()


@contextlib.contextmanager
def in_process(emulator: Emulator, chosen: Options, portal: Portal) -> Iterator[GrokMock]:
    from pytest_plugin._intercept import intercept

    providers = list(emulator.contracts)
    hosts = [h for p in providers for h in emulator.contracts[p].hosts]
    controller = GrokMock(emulator, real_base_urls(providers))
    emulator.deliver_webhooks_from(portal.loop)
    with (
        _grpc_routes(emulator) as routes,
        fail_closed(provider_hosts(), hosts, routes),
        intercept(
            create_app(emulator),
            portal,
            hosts,
            strict=chosen.strict_hosts,
            guards=controller.request_guards,
        ),
        _sleeping(controller, chosen),
    ):
        yield controller


@contextlib.contextmanager
def live(emulator: Emulator, chosen: Options) -> Iterator[GrokMock]:
    with LiveServer(emulator, grpc=_grpc_available(emulator)) as server:
        address = server.grpc_address
        route = GrpcRoute(lambda: address.replace("localhost", "127.0.0.1")) if address else None
        hosts = emulator.contracts["xai"].hosts if route is not None else ()
        with fail_closed(provider_hosts(), (), {host: route for host in hosts if route}):
            urls = {p: server.url(p) for p in emulator.contracts}
            controller = GrokMock(emulator, urls, server.base_url, grpc_address=address)
            with _sleeping(controller, chosen):
                yield controller


@contextlib.contextmanager
def _sleeping(controller: GrokMock, chosen: Options) -> Iterator[None]:
    if chosen.virtual_sleep:
        with controller.sleep_moves_clock():
            yield
    else:
        yield
