"""Segmind clients as the field writes them, unchanged but for the base URL: the official
SDK and plain requests on v2 and v1, on success, failure and unknown-id paths."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
import requests
from segmind import SegmindClient
from segmind.exceptions import SegmindError
from segmind.v2 import InferenceFailed

from mockserver import Emulator, LiveServer
from tests.conftest import decode


def v2_generate(base: str, key: str, **body: object) -> dict[str, object]:
    """Submit, follow status_url until it ends, fetch response_url."""
    headers = {"x-api-key": key}
    queued = requests.post(f"{base}/v2/grok-imagine-image", json=body, headers=headers).json()
    while True:
        status = requests.get(queued["status_url"], headers=headers, timeout=10)
        state = status.json()["status"]
        if state == "COMPLETED":
            return dict(requests.get(queued["response_url"], headers=headers, timeout=10).json())
        if state == "FAILED":
            raise RuntimeError(status.json()["error"])
        time.sleep(0.01)


def test_a_single_image_is_a_url_to_fetch(live: LiveServer) -> None:
    result = v2_generate(live.url("segmind"), "sg-key", prompt="A red bicycle", n=1)
    image = requests.get(str(result["output"]), timeout=10)  # the URL itself
    assert decode(image.content).format == "PNG"
    metrics = result["metrics"]
    assert isinstance(metrics, dict)
    assert "retry_count" not in metrics
    assert metrics["cost"] == 0.02


def test_several_images_are_a_list(live: LiveServer) -> None:
    result = v2_generate(live.url("segmind"), "sg-key", prompt="x", n=3)
    output = result["output"]
    assert isinstance(output, list)
    assert len(output) == 3


def test_a_failure_carries_the_error(live: LiveServer, emulator: Emulator) -> None:
    emulator.queue_scenario("job-failed", provider="segmind")
    with pytest.raises(RuntimeError, match=r"^Inference failed: "):
        v2_generate(live.url("segmind"), "sg-key", prompt="x")


def test_the_sdk_on_success_failure_and_unknown_ids(live: LiveServer, emulator: Emulator) -> None:
    client = SegmindClient(api_key="sg-key", base_url=live.url("segmind") + "/v1")
    result = client.run("grok-imagine-image", prompt="A quiet harbour", resolution="1k")
    assert decode(requests.get(result["output"], timeout=10).content).size == (1408, 768)
    emulator.queue_scenario("job-failed", provider="segmind")
    with pytest.raises(InferenceFailed) as failed:
        client.run("grok-imagine-image", prompt="x")
    assert failed.value.status_body["status"] == "FAILED"
    job = client.submit_async("grok-imagine-image", prompt="x")
    gone = "00000000-0000-4000-8000-000000000000"
    stale = replace(
        job,
        request_id=gone,
        status_url=job.status_url.replace(job.request_id, gone),
        response_url=job.response_url.replace(job.request_id, gone),
    )
    with pytest.raises(SegmindError) as missing:
        stale.status()
    assert missing.value.status == 404


def test_v1_bytes_and_a_bad_image_is_a_500(live: LiveServer) -> None:
    url = live.url("segmind") + "/v1/grok-imagine-image"
    headers = {"x-api-key": "sg-key"}
    ok = requests.post(url, json={"prompt": "x", "output_format": "jpeg"}, headers=headers)
    assert ok.headers["content-type"] == "image/jpeg"
    assert float(ok.headers["x-cost"]) > 0
    bad = requests.post(url, json={"prompt": "x", "image": "not-base64!"}, headers=headers)
    assert bad.status_code == 500
    assert "image" in bad.json()["error"]
