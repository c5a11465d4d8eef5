"""Kie.ai clients as the field writes them, run unchanged but for the base URL: success,
failure and unknown-id paths, tolerant of 'recordInfo is null' right after createTask."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest
import requests

from mockserver import Emulator, LiveServer
from pytest_plugin.receiver import WebhookReceiver
from tests.conftest import decode


class KieError(RuntimeError):
    pass


def kie_generate(base: str, key: str, prompt: str, ratio: str = "16:9") -> list[str]:
    """A typical requests client: create, poll with a tolerance for a record not yet
    written, raise on fail, answer the result URLs."""
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {key}"})
    created = session.post(
        f"{base}/api/v1/jobs/createTask",
        json={
            "model": "grok-imagine/text-to-image",
            "input": {"prompt": prompt, "aspect_ratio": ratio},
        },
        timeout=30,
    ).json()
    if created.get("code") != 200:
        raise KieError(f"createTask failed: {created.get('msg')}")
    task_id = created["data"]["taskId"]
    for _ in range(60):
        info = session.get(
            f"{base}/api/v1/jobs/recordInfo", params={"taskId": task_id}, timeout=30
        ).json()
        if info.get("code") == 422 and "recordInfo is null" in (info.get("msg") or ""):
            time.sleep(0.01)  # Kie has not written the record yet
            continue
        data = info["data"]
        if data["state"] == "success":
            return list(json.loads(data["resultJson"])["resultUrls"])
        if data["state"] == "fail":
            raise KieError(f"{data['failCode']}: {data['failMsg']}")
        time.sleep(0.01)
    raise KieError("timed out")


def kie_credits(base: str, key: str) -> float:
    answer = requests.get(
        f"{base}/api/v1/chat/credit", headers={"Authorization": f"Bearer {key}"}, timeout=30
    ).json()
    if answer["code"] != 200:
        raise KieError(answer["msg"])
    return float(answer["data"])


def test_success_at_kies_own_ratio(live: LiveServer) -> None:
    (url,) = kie_generate(live.url("kie"), "kie-key", "A lighthouse in a storm", "16:9")
    assert decode(requests.get(url, timeout=10).content).size == (1408, 768)
    assert kie_credits(live.url("kie"), "kie-key") == 10_000 - 4


def test_a_failed_task_raises_with_kies_failure(live: LiveServer, emulator: Emulator) -> None:
    emulator.queue_scenario("job-failed", provider="kie")
    with pytest.raises(KieError, match=r"^501: Generation failed"):
        kie_generate(live.url("kie"), "kie-key", "x")


def test_the_null_record_window_is_survived(live: LiveServer, emulator: Emulator) -> None:
    emulator.queue_scenario("record-not-ready", provider="kie")
    assert kie_generate(live.url("kie"), "kie-key", "x")
    nulls = emulator.journal.query(provider="kie", operation="recordInfo")
    assert [e.status for e in nulls][:2] == [200, 200]  # Kie's 422 rides on HTTP 200


def test_an_unknown_task_id(live: LiveServer) -> None:
    answer = requests.get(
        live.url("kie") + "/api/v1/jobs/recordInfo",
        params={"taskId": "e989621f54392584b05867f87b160672"},
        headers={"Authorization": "Bearer kie-key"},
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.json() == {"code": 422, "msg": "recordInfo is null", "data": None}


def test_an_empty_wallet_is_a_body_code_402(live: LiveServer, emulator: Emulator) -> None:
    emulator.set_balance("kie", "kie-key", 0)
    with pytest.raises(KieError, match="createTask failed: Insufficient Credits"):
        kie_generate(live.url("kie"), "kie-key", "x")


async def _async_with_callback(base: str, hook: str) -> dict[str, Any]:
    async with httpx.AsyncClient(headers={"Authorization": "Bearer kie-key"}) as client:
        body = {
            "model": "grok-imagine/text-to-image",
            "callBackUrl": hook,
            "input": {"prompt": "A fox", "aspect_ratio": "9:16"},
        }
        created = (await client.post(f"{base}/api/v1/jobs/createTask", json=body)).json()
        return dict(created["data"])


def test_an_async_client_gets_the_callback_with_credits(live: LiveServer) -> None:
    with WebhookReceiver() as receiver:
        task = asyncio.run(_async_with_callback(live.url("kie"), receiver.url))
        (callback,) = receiver.wait(1)
    body = callback.json
    assert body["code"] == 200
    assert body["data"]["taskId"] == task["taskId"] == body["data"]["task_id"]
    assert (body["data"]["consumeCredits"], body["data"]["remainedCredits"]) == (4, 9996)
    (url,) = json.loads(body["data"]["resultJson"])["resultUrls"]
    assert decode(requests.get(url, timeout=10).content).size == (768, 1408)
