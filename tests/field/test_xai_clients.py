"""xAI clients as the field writes them, unchanged but for the base URL: the openai SDK and
plain httpx reading xAI's flat errors, deferred polling, revised prompts and moderation."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from openai import BadRequestError, OpenAI

from mockserver import Emulator, LiveServer
from tests.conftest import decode


class XaiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code = status, code


def xai_images(base: str, key: str, **body: Any) -> dict[str, Any]:
    """A plain httpx client that reads xAI's flat {code, error} envelope."""
    answer = httpx.post(
        f"{base}/v1/images/generations",
        json={"model": "grok-imagine-image", **body},
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    )
    if answer.status_code != 200:
        said = answer.json()
        raise XaiError(answer.status_code, said.get("code", ""), said.get("error", ""))
    return dict(answer.json())


def xai_deferred(base: str, key: str, prompt: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}"}
    queued = httpx.post(
        f"{base}/v1/images/generations",
        json={"model": "grok-imagine-image", "prompt": prompt, "deferred": True},
        headers=headers,
    ).json()
    while True:
        polled = httpx.get(f"{base}/v1/images/{queued['request_id']}", headers=headers)
        if polled.status_code == 202:
            time.sleep(0.01)
            continue
        if polled.status_code == 404:
            raise XaiError(404, polled.json()["code"], polled.json()["error"])
        return dict(polled.json())


def test_the_openai_sdk_gets_images_and_revised_prompts(live: LiveServer) -> None:
    client = OpenAI(api_key="xai-key", base_url=live.url("xai") + "/v1")
    result = client.images.generate(model="grok-imagine-image", prompt="A koi pond", n=2)
    for item in result.data or []:
        assert item.url is not None
        assert decode(httpx.get(item.url).content).format == "JPEG"
        assert "koi pond" in (item.revised_prompt or "")


def test_flat_errors_read_in_kebab_case(live: LiveServer, emulator: Emulator) -> None:
    with pytest.raises(XaiError) as bad:
        xai_images(live.url("xai"), "xai-key", prompt="x", n=11)
    assert (bad.value.status, bad.value.code) == (400, "invalid-argument")
    emulator.queue_scenario("credits-exhausted", provider="xai")
    with pytest.raises(XaiError) as broke:
        xai_images(live.url("xai"), "xai-key", prompt="x")
    assert (broke.value.status, broke.value.code) == (403, "permission-denied")


def test_moderation_as_clients_detect_it(live: LiveServer, emulator: Emulator) -> None:
    emulator.queue_scenario("moderation-blocked", provider="xai")
    client = OpenAI(api_key="xai-key", base_url=live.url("xai") + "/v1", max_retries=0)
    with pytest.raises(BadRequestError) as blocked:
        client.images.generate(model="grok-imagine-image", prompt="x")
    # xAI's flat envelope: the SDK's body is the "error" text, its message only the status.
    assert blocked.value.body == "Generated image rejected by content moderation."
    emulator.queue_scenario("image-moderated", provider="xai")
    result = xai_images(live.url("xai"), "xai-key", prompt="x", n=2)
    assert [item.get("respect_moderation", True) for item in result["data"]] == [True, False]


def test_deferred_success_failure_and_unknown(live: LiveServer, emulator: Emulator) -> None:
    done = xai_deferred(live.url("xai"), "xai-key", "A comet")
    assert done["status"] == "done"
    assert "created" not in done
    emulator.queue_scenario("job-failed", provider="xai")
    failed = xai_deferred(live.url("xai"), "xai-key", "x")
    assert (failed["status"], failed["error"]["code"]) == ("failed", "internal_error")
    gone = httpx.get(
        live.url("xai") + "/v1/images/0190a1b2-0000-7000-8000-000000000000",
        headers={"Authorization": "Bearer xai-key"},
    )
    assert gone.status_code == 404
    assert gone.json()["code"] == "not-found"
