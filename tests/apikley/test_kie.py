"""Kie.ai itself: its own ratios and task ids, credits in records, the credit endpoint,
an optional image-to-image prompt and the 'recordInfo is null' window after createTask."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests
from starlette.testclient import TestClient

from mockserver import Emulator, LiveServer
from tests.conftest import KEY, decode

AUTH = {"Authorization": f"Bearer {KEY}"}


def create(client: TestClient, provider: str, body: dict[str, Any]) -> Any:
    return client.post(f"/{provider}/api/v1/jobs/createTask", json=body, headers=AUTH).json()


def record(client: TestClient, provider: str, task_id: str) -> Any:
    url = f"/{provider}/api/v1/jobs/recordInfo"
    return client.get(url, params={"taskId": task_id}, headers=AUTH).json()


def t2i(ratio: str) -> dict[str, Any]:
    return {
        "model": "grok-imagine/text-to-image",
        "input": {"prompt": "a lighthouse", "aspect_ratio": ratio},
    }


@pytest.mark.parametrize("ratio", ["9:16", "16:9"])
def test_kie_takes_ratios_apikley_does_not(client: TestClient, ratio: str) -> None:
    created = create(client, "kie", t2i(ratio))
    assert created["code"] == 200, created
    data = record(client, "kie", created["data"]["taskId"])["data"]
    (url,) = json.loads(data["resultJson"])["resultUrls"]
    width, height = decode(client.get(url).content).size
    assert (width > height) == (ratio == "16:9")
    refused = create(client, "apikley", t2i(ratio))
    assert refused["code"] == 422
    assert "must be one of '2:3', '3:2', '1:1'" in refused["msg"]


def test_task_ids_take_each_hosts_form(client: TestClient) -> None:
    kie = create(client, "kie", t2i("1:1"))["data"]["taskId"]
    apikley = create(client, "apikley", t2i("1:1"))["data"]["taskId"]
    assert re.fullmatch(r"[0-9a-f]{32}", kie), kie
    assert re.fullmatch(r"task_grok_[0-9a-f]{16}", apikley), apikley


def test_records_carry_credits_backed_by_the_balance(
    client: TestClient, emulator: Emulator
) -> None:
    emulator.set_balance("kie", KEY, 100)
    emulator.set_profile("polls")
    task_id = create(client, "kie", t2i("1:1"))["data"]["taskId"]
    pending = record(client, "kie", task_id)["data"]
    assert pending["consumeCredits"] == 0
    done = record(client, "kie", task_id)["data"]
    while done["state"] != "success":
        done = record(client, "kie", task_id)["data"]
    assert done["consumeCredits"] == 4
    assert done["remainedCredits"] == 96
    credit = client.get("/kie/api/v1/chat/credit", headers=AUTH).json()
    assert credit == {"code": 200, "msg": "success", "data": 96}


def test_a_failed_task_consumes_nothing(client: TestClient, emulator: Emulator) -> None:
    emulator.set_balance("kie", KEY, 10)
    body = t2i("1:1")
    body["input"]["prompt"] = "x [mock:job-failed]"
    data = record(client, "kie", create(client, "kie", body)["data"]["taskId"])["data"]
    assert (data["state"], data["consumeCredits"], data["remainedCredits"]) == ("fail", 0, 10)


def test_the_credit_endpoint_wants_a_key(client: TestClient) -> None:
    response = client.get("/kie/api/v1/chat/credit")
    assert response.status_code == 401
    assert response.json()["code"] == 401


def test_image_to_image_needs_no_prompt(client: TestClient) -> None:
    source = record(client, "kie", create(client, "kie", t2i("16:9"))["data"]["taskId"])
    (url,) = json.loads(source["data"]["resultJson"])["resultUrls"]
    body = {"model": "grok-imagine/image-to-image", "input": {"image_urls": [url]}}
    created = create(client, "kie", body)
    assert created["code"] == 200, created
    data = record(client, "kie", created["data"]["taskId"])["data"]
    assert data["state"] == "success"
    long = {**body, "input": {**body["input"], "prompt": "p" * 390_001}}
    refused = create(client, "kie", long)
    assert refused["code"] == 422
    assert "390000" in refused["msg"]


def test_record_not_ready_answers_null_for_the_first_reads(live: LiveServer) -> None:
    base = live.url("kie")
    headers = {"Authorization": f"Bearer {KEY}", "X-Mock-Scenario": "record-not-ready"}
    created = requests.post(f"{base}/api/v1/jobs/createTask", json=t2i("1:1"), headers=headers)
    task_id = created.json()["data"]["taskId"]
    reads = [
        requests.get(
            f"{base}/api/v1/jobs/recordInfo", params={"taskId": task_id}, headers=AUTH
        ).json()
        for _ in range(3)
    ]
    null = {"code": 422, "msg": "recordInfo is null", "data": None}
    assert reads[:2] == [null, null]
    assert reads[2]["data"]["state"] == "success"
