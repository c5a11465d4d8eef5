"""The pages' own snippets, unchanged but for base URL and key, over a real socket."""

from __future__ import annotations

import json

import pytest
import requests
import segmind.v2
from segmind import InferenceFailed, InferenceTimeout, SegmindClient, SegmindError

from mockserver import Emulator, LiveServer, ManualClock
from tests.conftest import decode

PROMPT = (
    "A majestic snow leopard perched on a rocky cliff at dawn, golden sunlight catching its "
    "thick fur, breath visible in the cold air, sweeping Himalayan mountain range in the "
    "background, ultra-detailed wildlife photography, sharp focus, dramatic natural lighting"
)
PAYLOAD = {
    "prompt": PROMPT,
    "mode": "standard",
    "aspect_ratio": "16:9",
    "resolution": "2k",
    "n": 1,
    "output_format": "png",
}


class VirtualTime:
    """Stands in for the `time` module inside segmind.v2: its sleeps move the emulator clock."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.elapsed = 0.0
        self.sleeps = 0

    def monotonic(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.elapsed += seconds
        self.clock.advance(seconds)


@pytest.fixture
def sdk(live: LiveServer) -> SegmindClient:
    return SegmindClient(api_key="SG_0123456789abcdef", base_url=live.url("segmind") + "/v1")


@pytest.fixture
def virtual_time(clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> VirtualTime:
    shim = VirtualTime(clock)
    monkeypatch.setattr(segmind.v2, "time", shim)
    return shim


def _download(url: str) -> bytes:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    return response.content


def test_sdk_run_returns_the_completed_result(sdk: SegmindClient) -> None:
    result = sdk.run("grok-imagine-image", **PAYLOAD)
    assert result["status"] == "COMPLETED"
    assert isinstance(result["metrics"]["inference_time"], float)
    url = result.get("output")
    assert isinstance(url, str)  # one image: its URL, as the SDK's docs show
    image = decode(_download(url))
    assert (image.format, image.size) == ("PNG", (2816, 1536))


def test_sdk_submit_and_wait_under_the_realistic_profile(
    sdk: SegmindClient, emulator: Emulator, virtual_time: VirtualTime
) -> None:
    emulator.set_profile("realistic")
    job = sdk.submit_async("grok-imagine-image", **PAYLOAD)
    assert job.request_id
    result = job.wait(timeout=600, interval=1.0)
    assert result["status"] == "COMPLETED"
    # About ten seconds of virtual polling, no real waiting.
    assert 8 <= virtual_time.sleeps <= 14
    assert 8 < result["metrics"]["inference_time"] < 13


def test_sdk_wait_raises_inference_failed_with_the_error(
    sdk: SegmindClient, virtual_time: VirtualTime
) -> None:
    job = sdk.submit_async(
        "grok-imagine-image", **{**PAYLOAD, "prompt": "x [mock:moderation-blocked]"}
    )
    with pytest.raises(InferenceFailed) as failed:
        job.wait(timeout=600, interval=1.0)
    assert failed.value.detail == "Generated image rejected by content moderation."
    assert failed.value.status_body["status"] == "FAILED"


def test_sdk_wait_times_out_on_a_stuck_job(sdk: SegmindClient, virtual_time: VirtualTime) -> None:
    job = sdk.submit_async("grok-imagine-image", **{**PAYLOAD, "prompt": "x [mock:stuck]"})
    with pytest.raises(InferenceTimeout) as timed_out:
        job.wait(timeout=30, interval=1.0)
    assert timed_out.value.request_id == job.request_id


def test_sdk_sees_segminds_error_envelope(sdk: SegmindClient, emulator: Emulator) -> None:
    emulator.set_balance("segmind", "SG_0123456789abcdef", 0)
    with pytest.raises(SegmindError) as refused:
        sdk.run("grok-imagine-image", **PAYLOAD)
    assert refused.value.status == 406
    assert refused.value.detail is not None
    assert "Insufficient credits" in refused.value.detail


def test_sdk_run_sync_returns_image_bytes(sdk: SegmindClient) -> None:
    response = sdk.run_sync("grok-imagine-image", **{**PAYLOAD, "output_format": "webp"})
    assert response.headers["content-type"] == "image/webp"
    image = decode(response.content)
    assert (image.format, image.size) == ("WEBP", (2816, 1536))


def test_quality_page_requests_snippet(live: LiveServer) -> None:
    url = live.url("segmind") + "/v1/grok-imagine-image-quality"
    headers = {"x-api-key": "YOUR_API_KEY", "Content-Type": "application/json"}
    data = {
        "prompt": "Macro photograph of a hummingbird hovering beside a red hibiscus flower",
        "aspect_ratio": "16:9",
        "resolution": "2k",
        "n": 1,
        "output_format": "jpeg",
    }
    response = requests.post(url, headers=headers, json=data)
    assert response.status_code == 200, response.text
    result = response.json()
    json.dumps(result, indent=2)
    image = decode(_download(result["output"]))
    assert (image.format, image.size) == ("JPEG", (2816, 1536))


def test_host_header_routing_serves_the_real_paths(live: LiveServer) -> None:
    response = requests.post(
        live.base_url + "/v2/grok-imagine-image",
        json={"prompt": "x"},
        headers={"x-api-key": "k", "Host": "api.segmind.com"},
    )
    assert response.status_code == 200
    assert response.json()["status_url"].startswith("http://api.segmind.com/v2/requests/")


def test_two_emulators_in_one_process_share_nothing() -> None:
    with (
        LiveServer(Emulator(clock=ManualClock(), seed=1)) as a,
        LiveServer(Emulator(clock=ManualClock(), seed=1)) as b,
    ):
        job = requests.post(
            a.url("segmind") + "/v2/grok-imagine-image",
            json={"prompt": "x"},
            headers={"x-api-key": "k"},
        ).json()
        other = requests.get(
            b.url("segmind") + f"/v2/requests/{job['request_id']}/status",
            headers={"x-api-key": "k"},
        )
        assert other.status_code == 404
