"""The fixtures, used directly: unchanged client code served offline."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import requests
import segmind
from openai import AsyncOpenAI, OpenAI, PermissionDeniedError

from pytest_plugin import GrokMock, NotIntercepted, WebhookReceiver
from tests.conftest import decode


@pytest.fixture
def segmind_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK caches its default client; a fresh one reads the key from the env.
    monkeypatch.setenv("SEGMIND_API_KEY", "SG_0123456789abcdef")
    monkeypatch.setattr(segmind, "_default_client", None)


def test_segmind_run_with_the_sdks_default_base_url(grok_mock: GrokMock, segmind_env: None) -> None:
    result = segmind.run(
        "grok-imagine-image", prompt="a snow leopard", aspect_ratio="16:9", resolution="1k"
    )
    assert result["status"] == "COMPLETED"
    url = result["output"]
    assert url.startswith("https://api.segmind.com/media/")
    assert decode(httpx.get(url).content).size == (1408, 768)
    assert [e.operation for e in grok_mock.requests(provider="segmind")][:2] == [
        "v2.submit",
        "v2.status",
    ]


def test_openai_sdk_against_api_x_ai(grok_mock: GrokMock) -> None:
    client = OpenAI(api_key="xai-key", base_url="https://api.x.ai/v1")
    result = client.images.generate(
        model="grok-imagine-image", prompt="a cat", extra_body={"aspect_ratio": "2:3"}
    )
    (item,) = result.data or []
    assert item.url is not None
    assert decode(client._client.get(item.url).content).size == (864, 1296)

    async def run() -> str | None:
        async_client = AsyncOpenAI(api_key="xai-key", base_url="https://api.x.ai/v1")
        async_result = await async_client.images.generate(model="grok-imagine-image", prompt="b")
        return (async_result.data or [])[0].url

    assert (asyncio.run(run()) or "").startswith("https://api.x.ai/xai-imgen/")


def test_the_pages_requests_snippets_with_their_real_urls(grok_mock: GrokMock) -> None:
    quality = requests.post(
        "https://api.segmind.com/v1/grok-imagine-image-quality",
        headers={"x-api-key": "YOUR_API_KEY", "Content-Type": "application/json"},
        json={
            "prompt": "a hummingbird",
            "aspect_ratio": "16:9",
            "resolution": "1k",
            "n": 1,
            "output_format": "jpeg",
        },
    )
    assert quality.status_code == 200
    assert decode(requests.get(quality.json()["output"]).content).size == (1408, 768)
    pixazo = requests.post(
        "https://gateway.pixazo.ai/grok-imagine-pro-text-to-image-quality/v1/grok-imagine-pro-text-to-image-quality-request",
        json={
            "prompt": "golden particles",
            "num_images": 1,
            "aspect_ratio": "1:1",
            "resolution": "1k",
            "output_format": "jpeg",
        },
        headers={
            "Content-Type": "application/json",
            "Cache-Control": "no-cache",
            "Ocp-Apim-Subscription-Key": "YOUR_API_KEY",
        },
    )
    assert pixazo.status_code == 202
    status = requests.get(
        pixazo.json()["polling_url"], headers={"Ocp-Apim-Subscription-Key": "YOUR_API_KEY"}
    ).json()
    assert status["status"] == "COMPLETED"
    kie = requests.post(
        "https://api.kie.ai/api/v1/jobs/createTask",
        headers={"Authorization": "Bearer KIE_KEY"},
        json={"model": "grok-imagine/text-to-image", "input": {"prompt": "a vinyl player"}},
    ).json()
    info = requests.get(
        "https://api.kie.ai/api/v1/jobs/recordInfo",
        params={"taskId": kie["data"]["taskId"]},
        headers={"Authorization": "Bearer KIE_KEY"},
    ).json()
    assert json.loads(info["data"]["resultJson"])["resultUrls"]


def test_moving_the_clock_an_hour_gives_segminds_404(
    grok_mock: GrokMock, segmind_env: None
) -> None:
    grok_mock.set_profile("realistic")
    job = segmind.SegmindClient().submit_async("grok-imagine-image", prompt="x")
    assert job.status()["status"] == "QUEUED"
    grok_mock.advance(3600)
    with pytest.raises(segmind.SegmindError) as gone:
        job.status()
    assert gone.value.status == 404


def test_insufficient_credits_in_each_providers_own_words(grok_mock: GrokMock) -> None:
    grok_mock.queue("insufficient-credits", times=None)
    segmind_answer = httpx.post(
        "https://api.segmind.com/v2/grok-imagine-image",
        json={"prompt": "x"},
        headers={"x-api-key": "k"},
    )
    assert segmind_answer.status_code == 406
    pixazo = httpx.post(
        "https://gateway.pixazo.ai/grok-imagine-pro-edit-quality/v1/grok-imagine-pro-edit-quality-request",
        json={"prompt": "x", "image_urls": ["https://example.com/a.png"]},
        headers={"Ocp-Apim-Subscription-Key": "k"},
    )
    assert (pixazo.status_code, pixazo.json()["error"]) == (402, "Insufficient Balance")
    kie = httpx.post(
        "https://api.apikley.ru/api/v1/jobs/createTask",
        json={"model": "grok-imagine/text-to-image", "input": {"prompt": "x"}},
        headers={"Authorization": "Bearer k"},
    )
    assert (kie.status_code, kie.json()["code"]) == (200, 402)
    with pytest.raises(PermissionDeniedError):
        OpenAI(api_key="k", base_url="https://api.x.ai/v1").images.generate(
            model="grok-imagine-image", prompt="x"
        )
    with pytest.raises(PermissionDeniedError):  # New API's 403 insufficient_user_quota
        OpenAI(api_key="k", base_url="https://api-cs-al.naci-tech.com/v1").images.generate(
            model="grok-imagine-image", prompt="x"
        )


def test_a_pixazo_webhook_reaches_the_receiver(
    grok_mock: GrokMock, grok_webhook_receiver: WebhookReceiver
) -> None:
    job = httpx.post(
        "https://gateway.pixazo.ai/grok-imagine-pro-text-to-image-quality/v1/grok-imagine-pro-text-to-image-quality-request",
        json={"prompt": "x"},
        headers={"Ocp-Apim-Subscription-Key": "k", "X-Webhook-URL": grok_webhook_receiver.url},
    ).json()
    (delivery,) = grok_webhook_receiver.wait(1)
    assert delivery.json["request_id"] == job["request_id"]
    assert delivery.json["status"] == "COMPLETED"
    assert grok_mock.wait_for_deliveries(1)[0].state == "delivered"


def test_other_hosts_are_left_alone(grok_mock: GrokMock) -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.get("http://127.0.0.1:1/closed")
    with pytest.raises(requests.ConnectionError):
        requests.get("http://127.0.0.1:1/closed")


@pytest.mark.grok_mock(strict_hosts=True)
def test_strict_hosts_make_unknown_hosts_an_error(grok_mock: GrokMock) -> None:
    with pytest.raises(Exception, match="is not to an emulated provider host"):
        httpx.get("https://example.com/")
    with pytest.raises(requests.ConnectionError):
        requests.get("https://example.com/")
    assert (
        httpx.post(
            "https://api.segmind.com/v2/grok-imagine-image",
            json={"prompt": "x"},
            headers={"x-api-key": "k"},
        ).status_code
        == 200
    )


@pytest.mark.grok_mock(profile="polls", seed=42)
def test_the_marker_sets_profile_and_seed(grok_mock: GrokMock) -> None:
    assert (grok_mock.profile, grok_mock.seed) == ("polls", 42)
    job = httpx.post(
        "https://api.segmind.com/v2/grok-imagine-image",
        json={"prompt": "x"},
        headers={"x-api-key": "k"},
    ).json()
    states = [
        httpx.get(job["status_url"], headers={"x-api-key": "k"}).json()["status"] for _ in range(3)
    ]
    assert states == ["QUEUED", "PROCESSING", "COMPLETED"]


@pytest.mark.grok_mock(profile="realistic", virtual_sleep=True)
def test_virtual_sleep_runs_a_realistic_lifecycle_in_no_time(
    grok_mock: GrokMock, segmind_env: None
) -> None:
    result = segmind.run("grok-imagine-image", prompt="x", resolution="1k")
    assert result["status"] == "COMPLETED"
    assert 8 < grok_mock.now - 1_767_225_600 < 16  # about ten virtual seconds passed


@pytest.mark.grok_mock(providers=["segmind"])
def test_providers_limit_what_is_served(grok_mock: GrokMock) -> None:
    assert list(grok_mock.base_urls) == ["segmind"]
    # api.x.ai is not served now, and it is still never reached: the guard stops it.
    with pytest.raises(NotIntercepted, match="xai is not among the providers this test serves"):
        httpx.post("https://api.x.ai/v1/images/generations", json={"prompt": "x"}, timeout=2)
    assert grok_mock.requests() == []


def test_the_live_server_fixture_serves_any_client(grok_mock_server: GrokMock) -> None:
    base = grok_mock_server.url("segmind")
    assert base.startswith("http://127.0.0.1:")
    response = requests.post(
        f"{base}/v1/grok-imagine-image",
        json={"prompt": "x", "resolution": "1k"},
        headers={"x-api-key": "k"},
    )
    assert decode(response.content).size == (1408, 768)
    grok_mock_server.set_balance("segmind", "k", 0)
    assert (
        requests.post(
            f"{base}/v2/grok-imagine-image", json={"prompt": "x"}, headers={"x-api-key": "k"}
        ).status_code
        == 406
    )


def test_both_fixtures_share_one_emulator(grok_mock: GrokMock, grok_mock_server: GrokMock) -> None:
    assert grok_mock.emulator is grok_mock_server.emulator
    job = httpx.post(
        "https://api.segmind.com/v2/grok-imagine-image",
        json={"prompt": "x"},
        headers={"x-api-key": "k"},
    ).json()
    live = requests.get(
        f"{grok_mock_server.url('segmind')}/v2/requests/{job['request_id']}/status",
        headers={"x-api-key": "k"},
    )
    assert live.json()["status"] == "COMPLETED"


def test_the_controller_reads_jobs_journal_and_resets(grok_mock: GrokMock) -> None:
    job = httpx.post(
        "https://api.segmind.com/v2/grok-imagine-image",
        json={"prompt": "x", "n": 2},
        headers={"x-api-key": "k"},
    ).json()
    found = grok_mock.job(job["request_id"])
    assert found is not None
    assert found.media.count == 2
    assert grok_mock.balance("segmind", "k") is not None
    assert "v2.submit" in grok_mock.journal_tail()
    grok_mock.reset(seed=3)
    assert grok_mock.jobs() == []
    assert grok_mock.seed == 3


def test_the_controller_knows_the_live_origin(
    grok_mock: GrokMock, grok_mock_server: GrokMock
) -> None:
    assert grok_mock.base_url is None  # in-process: there is no server
    origin = grok_mock_server.base_url
    assert origin is not None
    assert grok_mock_server.url("segmind") == f"{origin}/segmind"
    assert httpx.get(f"{origin}/__mock/health").json()["status"] == "ok"


def test_received_webhook_headers_ignore_case(
    grok_mock: GrokMock, grok_webhook_receiver: WebhookReceiver
) -> None:
    grok_mock.set_webhook_key("kie", "k", "secret")
    httpx.post(
        "https://api.kie.ai/api/v1/jobs/createTask",
        json={
            "model": "grok-imagine/text-to-image",
            "input": {"prompt": "x"},
            "callBackUrl": grok_webhook_receiver.url,
        },
        headers={"Authorization": "Bearer k"},
    )
    (delivery,) = grok_webhook_receiver.wait(1)
    signature = delivery.headers["X-Webhook-Signature"]
    assert signature == delivery.headers["x-webhook-signature"]
    assert delivery.headers.get("X-WEBHOOK-TIMESTAMP") is not None
    assert "User-Agent" in delivery.headers
    assert delivery.headers["user-agent"].startswith("grok-imagine-mock/")


def test_a_misspelt_scenario_gets_a_suggestion(grok_mock: GrokMock) -> None:
    from mockserver.engine.errors import UnknownScenario

    with pytest.raises(UnknownScenario, match=r"'rate-limit' .*\(did you mean 'rate-limited'\?\)"):
        grok_mock.queue("rate-limit", provider="segmind")
    answer = httpx.post(
        "https://api.segmind.com/v2/grok-imagine-image",
        json={"prompt": "x"},
        headers={"x-api-key": "k", "X-Mock-Scenario": "job-fail"},
    )
    assert answer.status_code == 400
    assert "did you mean 'job-failed'?" in answer.json()["error"]
