"""Pixazo clients as the field writes them, unchanged but for the base URL: submit, follow
polling_url, read output.media_url (a string or a list); failure and unknown ids."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from mockserver import Emulator, LiveServer
from tests.conftest import decode

MODEL = "grok-imagine-pro-text-to-image-quality"
SUBMIT = f"/{MODEL}/v1/{MODEL}-request"


def pixazo_generate(base: str, key: str, **body: Any) -> list[str]:
    headers = {"Ocp-Apim-Subscription-Key": key, "Content-Type": "application/json"}
    submitted = requests.post(base + SUBMIT, json=body, headers=headers, timeout=30)
    submitted.raise_for_status()
    poll = submitted.json().get("polling_url") or (
        f"{base}/v2/requests/status/{submitted.json()['request_id']}"
    )
    for _ in range(100):
        status = requests.get(poll, headers=headers, timeout=30).json()
        if status["status"] == "COMPLETED":
            urls = status["output"]["media_url"]
            return [urls] if isinstance(urls, str) else list(urls)
        if status["status"] in ("FAILED", "ERROR"):
            raise RuntimeError(status.get("error") or status["status"])
        time.sleep(0.01)
    raise TimeoutError(poll)


def test_success(live: LiveServer) -> None:
    urls = pixazo_generate(live.url("pixazo"), "px", prompt="A glass teapot", num_images=2)
    assert len(urls) == 2
    assert decode(requests.get(urls[0], timeout=10).content).size == (1024, 1024)


def test_failure(live: LiveServer, emulator: Emulator) -> None:
    emulator.queue_scenario("job-failed", provider="pixazo")
    with pytest.raises(RuntimeError):
        pixazo_generate(live.url("pixazo"), "px", prompt="x")


def test_unknown_request_id(live: LiveServer) -> None:
    answer = requests.get(
        live.url("pixazo") + f"/v2/requests/status/{MODEL}_019d0000-0000-7000-8000-000000000000",
        headers={"Ocp-Apim-Subscription-Key": "px"},
        timeout=10,
    )
    assert answer.status_code == 404
    assert "error" in answer.json()


def test_out_of_credits_is_a_402(live: LiveServer, emulator: Emulator) -> None:
    emulator.set_balance("pixazo", "px", 0)
    with pytest.raises(requests.HTTPError) as refused:
        pixazo_generate(live.url("pixazo"), "px", prompt="x")
    assert refused.value.response.status_code == 402
