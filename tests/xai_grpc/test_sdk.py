"""xAI's official SDK, unchanged, over gRPC: in-process (the default host served) and
against a live server, sync and async, on success, every error scenario, a network fault
and moderation."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from contracts import CONTRACTS, pixel_size
from contracts.xai_grpc import XAI_GRPC
from mockserver import Emulator, LiveServer, ManualClock
from mockserver.engine.scenarios import supported
from pytest_plugin import GrokMock
from tests.conftest import decode

grpc = pytest.importorskip("grpc")
xai_sdk = pytest.importorskip("xai_sdk")

MODEL = "grok-imagine-image"
XAI = CONTRACTS["xai"]
RATIOS = list(XAI_GRPC.enums["aspect_ratio"].values())
Sample = Callable[..., Any]


def _refusals() -> list[str]:
    return [s for s in supported(XAI) if s in XAI.errors]


@pytest.fixture(params=["sync", "async"])
def sample(request: pytest.FixtureRequest, grok_mock: GrokMock) -> Sample:
    """The SDK's image.sample (or sample_batch with n), in-process, sync or async."""
    if request.param == "sync":
        client = xai_sdk.Client(api_key="xai-test-key")
        return lambda **kw: _call(client.image, **kw)

    def run(**kw: Any) -> Any:
        async def go() -> Any:
            client = xai_sdk.AsyncClient(api_key="xai-test-key")
            result = _call(client.image, **kw)
            return await result

        return asyncio.run(go())

    return run


def _call(image: Any, *, n: int = 1, **kw: Any) -> Any:
    kw.setdefault("model", MODEL)
    return image.sample_batch(n=n, **kw) if n > 1 else image.sample(**kw)


@pytest.mark.slow  # 26 generations
def test_urls_at_every_ratio_and_resolution(grok_mock: GrokMock) -> None:
    client = xai_sdk.Client(api_key="xai-test-key")
    for ratio in RATIOS[:-1]:  # "auto" leaves the size to the model
        for resolution in ("1k", "2k"):
            answer = client.image.sample(
                prompt="a lighthouse", model=MODEL, aspect_ratio=ratio, resolution=resolution
            )
            size = pixel_size(ratio, resolution)
            image = decode(httpx.get(answer.url).content)
            assert (image.format, image.size) == ("JPEG", (size.width, size.height)), ratio


def test_base64_batches_and_cost(sample: Sample) -> None:
    answers = sample(prompt="A red fox", n=3, image_format="base64", aspect_ratio="16:9")
    assert len(answers) == 3
    for answer in answers:
        assert answer.respect_moderation
        assert answer.model == MODEL
        _, data = answer.base64.split("base64,", 1)
        assert Image.open(io.BytesIO(base64.b64decode(data))).size == (1408, 768)
    assert answers[0].cost_usd == pytest.approx(0.06)


def test_an_edit_with_a_data_uri_keeps_its_ratio(sample: Sample) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 600), (10, 20, 30)).save(buffer, "PNG")
    uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    answer = sample(prompt="make it night", image_url=uri)
    assert decode(httpx.get(answer.url).content).size == (704, 1408)  # 1:2, nearest


@pytest.mark.parametrize("scenario", _refusals())
def test_every_error_scenario_is_the_sdks_own_exception(grok_mock: GrokMock, scenario: str) -> None:
    grok_mock.queue(scenario, provider="xai")
    client = xai_sdk.Client(api_key="xai-test-key")
    with pytest.raises(grpc.RpcError) as raised:
        client.image.sample(prompt="x", model=MODEL)
    case = XAI.errors[scenario]
    status = XAI_GRPC.statuses[case.body["code"]]
    assert raised.value.code() == grpc.StatusCode[status]
    assert raised.value.details()  # xAI's message, filled


def test_an_async_client_gets_the_same_statuses(sample: Sample, grok_mock: GrokMock) -> None:
    grok_mock.queue("rate-limited", provider="xai")
    with pytest.raises(grpc.RpcError) as raised:
        sample(prompt="x")
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "rate limit" in raised.value.details()


def test_moderation_both_ways(sample: Sample, grok_mock: GrokMock) -> None:
    grok_mock.queue("moderation-blocked", provider="xai")
    with pytest.raises(grpc.RpcError) as raised:
        sample(prompt="x")
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details() == "Generated image rejected by content moderation."
    grok_mock.queue("image-moderated", provider="xai")
    first, withheld = sample(prompt="x", n=2)
    assert first.url
    assert not withheld.respect_moderation
    with pytest.raises(ValueError, match="did not respect moderation rules; URL is not available"):
        withheld.url  # noqa: B018 - the SDK's own check


@pytest.mark.slow  # the SDK's own retries back off in real time
def test_a_network_fault_is_unavailable_and_the_sdk_retries_it(grok_mock: GrokMock) -> None:
    grok_mock.queue("disconnect", provider="xai", times=1)
    answer = xai_sdk.Client(api_key="xai-test-key").image.sample(prompt="x", model=MODEL)
    assert answer.url  # the SDK's channel retries UNAVAILABLE by itself
    attempts = grok_mock.requests(provider="xai")
    assert [e.error for e in attempts] == ["network fault: disconnect", None]
    grok_mock.queue("disconnect", provider="xai", times=100)  # more than it retries
    with pytest.raises(grpc.RpcError) as raised:
        xai_sdk.Client(api_key="xai-test-key").image.sample(prompt="x", model=MODEL)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE


def test_scenarios_ride_in_metadata_and_the_journal_says_grpc(grok_mock: GrokMock) -> None:
    client = xai_sdk.Client(api_key="xai-test-key", metadata=(("x-mock-scenario", "forbidden"),))
    with pytest.raises(grpc.RpcError) as raised:
        client.image.sample(prompt="x", model=MODEL)
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    (entry,) = grok_mock.requests(provider="xai")
    assert entry.request_headers["x-grok-mock-transport"] == "grpc"
    assert entry.key_hint == "xai-...ey"


@pytest.fixture
def live() -> Iterator[LiveServer]:
    with LiveServer(Emulator(clock=ManualClock(), profile="instant"), grpc=True) as server:
        yield server


@pytest.mark.parametrize("insecure", [False, True])
def test_a_live_server_serves_the_sdk_at_its_grpc_address(live: LiveServer, insecure: bool) -> None:
    assert live.grpc_address is not None
    client = xai_sdk.Client(
        api_key="xai-test-key", api_host=live.grpc_address, use_insecure_channel=insecure
    )
    answer = client.image.sample(prompt="x", model=MODEL, resolution="2k")
    assert answer.url.startswith(live.base_url + "/xai/")
    assert decode(httpx.get(answer.url).content).size == (2048, 2048)
    live.emulator.queue_scenario("credits-exhausted", provider="xai")
    with pytest.raises(grpc.RpcError) as raised:
        client.image.sample(prompt="x", model=MODEL)
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_the_live_fixture_serves_the_default_host_too(grok_mock_server: GrokMock) -> None:
    answer = xai_sdk.Client(api_key="xai-test-key").image.sample(prompt="x", model=MODEL)
    assert answer.url.startswith(str(grok_mock_server.base_url))
    assert grok_mock_server.grpc_address is not None


@pytest.mark.slow
def test_grok_mock_serve_announces_the_exact_client_line() -> None:
    from tests.test_cli import serve

    with serve("--grpc-port", "0") as served:
        line = next(x for x in served.banner.splitlines() if x.strip().startswith("xai-grpc"))
        address = line.split()[1]
        assert f'xai_sdk.Client(api_key="...", api_host="{address}")' in line
        answer = xai_sdk.Client(api_key="k", api_host=address).image.sample(prompt="x", model=MODEL)
        assert answer.url.startswith(served.origin + "/xai/")


def test_an_async_client_against_a_live_server(live: LiveServer) -> None:
    async def go() -> tuple[Any, Any]:
        client = xai_sdk.AsyncClient(api_key="xai-test-key", api_host=live.grpc_address)
        answers = await client.image.sample_batch(prompt="x", model=MODEL, n=2)
        live.emulator.queue_scenario("validation-error", provider="xai")
        try:
            await client.image.sample(prompt="x", model=MODEL)
        except grpc.RpcError as error:
            return answers, error
        return answers, None

    answers, error = asyncio.run(go())
    assert [a.url.startswith(live.base_url) for a in answers] == [True, True]
    assert error is not None
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.slow  # waits out a real deadline
def test_a_hang_is_the_clients_own_deadline(grok_mock: GrokMock) -> None:
    grok_mock.queue("hang", provider="xai")
    client = xai_sdk.Client(api_key="xai-test-key", timeout=0.5)
    with pytest.raises(grpc.RpcError) as raised:
        client.image.sample(prompt="x", model=MODEL)
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
