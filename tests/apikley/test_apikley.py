"""Apikley / Kie.ai: createTask, recordInfo, body-code errors, limits, expiry, callbacks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver import Emulator, LiveServer, ManualClock, Settings, create_app
from pytest_plugin.receiver import WebhookReceiver
from tests.conftest import KEY, decode

AUTH = {"Authorization": f"Bearer {KEY}"}
CREATE = "/apikley/api/v1/jobs/createTask"
RECORD = "/apikley/api/v1/jobs/recordInfo"
T2I = {
    "model": "grok-imagine/text-to-image",
    "input": {
        "prompt": "Cinematic portrait of a woman by a vinyl record player",
        "aspect_ratio": "3:2",
    },
}


def create(
    client: TestClient, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> str:
    response = client.post(CREATE, json=body or T2I, headers=headers or AUTH)
    payload = response.json()
    assert (response.status_code, payload["code"], payload["msg"]) == (200, 200, "success"), payload
    return str(payload["data"]["taskId"])


def record(client: TestClient, task_id: str) -> Any:
    response = client.get(RECORD, params={"taskId": task_id}, headers=AUTH)
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def test_a_client_written_from_the_page_alone(live: LiveServer, clock: ManualClock) -> None:
    live.emulator.set_profile("realistic")
    base = live.url("apikley")
    headers = {"Authorization": "Bearer APIKLEY_API_KEY", "Content-Type": "application/json"}
    created = httpx.post(f"{base}/api/v1/jobs/createTask", json=T2I, headers=headers).json()
    assert created["code"] == 200
    task_id = created["data"]["taskId"]
    assert task_id.startswith("task_grok_")
    states = []
    for _ in range(30):  # Kie's advice: poll every 2-3 s; here the wait is virtual
        info = httpx.get(
            f"{base}/api/v1/jobs/recordInfo", params={"taskId": task_id}, headers=headers
        ).json()
        states.append(info["data"]["state"])
        if info["data"]["state"] in ("success", "fail"):
            break
        clock.advance(2)
    assert states[-1] == "success"
    assert set(states) <= {"waiting", "queuing", "generating", "success"}
    data = info["data"]
    assert json.loads(data["param"]) == T2I
    (url,) = json.loads(data["resultJson"])["resultUrls"]
    image = decode(httpx.get(url).content)
    assert (image.format, image.size) == ("JPEG", (1296, 864))
    assert data["completeTime"] >= data["createTime"]
    assert (data["failCode"], data["failMsg"]) == ("", "")


def test_polls_walk_every_state(client: TestClient, emulator: Emulator) -> None:
    emulator.set_profile("polls")
    task_id = create(client)
    states = [record(client, task_id)["data"]["state"] for _ in range(4)]
    assert states == ["waiting", "queuing", "generating", "success"]


def test_pending_records_have_no_results_yet(client: TestClient, emulator: Emulator) -> None:
    emulator.set_profile("polls")
    data = record(client, create(client))["data"]
    assert data["state"] == "waiting"
    assert data["resultJson"] == ""
    assert data["completeTime"] is None
    assert data["costTime"] == 0
    assert set(data) == {
        "taskId",
        "model",
        "state",
        "param",
        "resultJson",
        "failCode",
        "failMsg",
        "costTime",
        "completeTime",
        "createTime",
        "updateTime",
        "consumeCredits",
        "remainedCredits",
    }


def test_cost_time_is_generation_time_in_milliseconds(
    client: TestClient, emulator: Emulator, clock: ManualClock
) -> None:
    emulator.set_profile("realistic")
    task_id = create(client)
    clock.advance(60)
    data = record(client, task_id)["data"]
    assert data["state"] == "success"
    assert 4000 < data["costTime"] < 8000
    assert data["createTime"] == 1767225600000
    assert data["completeTime"] - data["createTime"] > data["costTime"]


@pytest.mark.parametrize("scenario", ["job-failed", "moderation-blocked", "job-error"])
def test_failures_show_fail_with_code_and_message(
    client: TestClient, emulator: Emulator, scenario: str
) -> None:
    task_id = create(client, {**T2I, "input": {"prompt": f"x [mock:{scenario}]"}})
    data = record(client, task_id)["data"]
    assert data["state"] == "fail"
    assert data["failCode"] == ("500" if scenario == "job-error" else "501")
    assert data["failMsg"]
    assert data["resultJson"] == ""
    account = emulator.account("apikley", KEY)
    assert account is not None
    assert account.spent == 0


@pytest.mark.parametrize(
    ("scenario", "http", "code"),
    [
        ("unauthorized", 401, 401),
        ("insufficient-credits", 200, 402),
        ("validation-error", 200, 422),
        ("model-not-found", 200, 422),
        ("rate-limited", 429, 429),
        ("maintenance", 200, 455),
        ("server-error", 500, 500),
        ("feature-disabled", 200, 505),
    ],
)
def test_every_listed_code_on_demand(
    client: TestClient, scenario: str, http: int, code: int
) -> None:
    response = client.post(CREATE, json=T2I, headers={**AUTH, "X-Mock-Scenario": scenario})
    assert response.status_code == http
    body = response.json()
    assert body["code"] == code
    assert body["msg"]
    assert body["data"] is None


def test_maintenance_and_disabled_through_the_prompt_and_rules(
    client: TestClient, emulator: Emulator
) -> None:
    assert (
        client.post(
            CREATE, json={**T2I, "input": {"prompt": "[mock:maintenance]"}}, headers=AUTH
        ).json()["code"]
        == 455
    )
    emulator.queue_scenario("feature-disabled", provider="apikley", operation="recordInfo")
    task_id = create(client)
    assert record(client, task_id)["code"] == 505
    assert record(client, task_id)["code"] == 200


def test_auth_is_a_bearer_key(client: TestClient) -> None:
    missing = client.post(CREATE, json=T2I)
    assert (missing.status_code, missing.json()["code"]) == (401, 401)
    wrong_scheme = client.post(CREATE, json=T2I, headers={"Authorization": f"Token {KEY}"})
    assert wrong_scheme.json() == {"code": 401, "msg": "Unauthorized", "data": None}


@pytest.mark.parametrize(
    ("body", "msg"),
    [
        ({"model": "grok-imagine/text-to-image"}, "'input' is required"),
        ({"input": {"prompt": "x"}}, "'model' is required"),
        (
            {**T2I, "input": {"prompt": "x" * 5001}},
            "'input.prompt' is 5001 characters long; the maximum is 5000",
        ),
        (
            {**T2I, "input": {"prompt": "x", "aspect_ratio": "16:9"}},
            "'input.aspect_ratio' must be one of '2:3', '3:2', '1:1'",
        ),
        ({**T2I, "input": {"aspect_ratio": "1:1"}}, "'input.prompt' is required"),
        ({**T2I, "callBackUrl": "not a url"}, "'callBackUrl' must be an http(s) URL"),
        ({**T2I, "input": "a cat"}, "'input' must be an object"),
        (
            {**T2I, "model": "grok-imagine/nope"},
            "The page does not exist or is not published (unknown model",
        ),
    ],
)
def test_bad_input_is_a_422_naming_the_problem(
    client: TestClient, body: dict[str, Any], msg: str
) -> None:
    response = client.post(CREATE, json=body, headers=AUTH)
    assert response.status_code == 200
    payload = response.json()
    assert payload["code"] == 422
    assert payload["msg"].startswith(msg)


def test_unknown_and_missing_task_ids(client: TestClient) -> None:
    assert record(client, "task_grok_nope") == {
        "code": 422,
        "msg": "recordInfo is null",
        "data": None,
    }
    missing = client.get(RECORD, headers=AUTH).json()
    assert missing == {"code": 400, "msg": "taskId parameter is required", "data": None}
    other = client.get(
        RECORD, params={"taskId": create(client)}, headers={"Authorization": "Bearer other"}
    )
    assert other.json()["msg"] == "recordInfo is null"


def test_results_expire_after_24_hours(client: TestClient, clock: ManualClock) -> None:
    task_id = create(client)
    (url,) = json.loads(record(client, task_id)["data"]["resultJson"])["resultUrls"]
    clock.advance(24 * 3600 - 1)
    assert client.get(url).status_code == 200
    clock.advance(1)
    assert client.get(url).status_code == 404
    assert record(client, task_id) == {"code": 422, "msg": "recordInfo is null", "data": None}


def test_image_to_image_keeps_the_input_ratio(client: TestClient) -> None:
    source = create(client, {**T2I, "input": {"prompt": "x", "aspect_ratio": "2:3"}})
    (url,) = json.loads(record(client, source)["data"]["resultJson"])["resultUrls"]
    edit = create(
        client,
        {"model": "grok-imagine/image-to-image", "input": {"prompt": "y", "image_urls": [url]}},
    )
    (out,) = json.loads(record(client, edit)["data"]["resultJson"])["resultUrls"]
    assert decode(client.get(out).content).size == (864, 1296)
    too_many = client.post(
        CREATE,
        json={
            "model": "grok-imagine/image-to-image",
            "input": {"prompt": "y", "image_urls": [url, url]},
        },
        headers=AUTH,
    ).json()
    assert too_many["msg"] == "'input.image_urls' allows at most 1 item(s), got 2"


def test_upscale_takes_a_finished_task(client: TestClient, emulator: Emulator) -> None:
    source = create(client)
    upscaled = create(client, {"model": "grok-imagine/upscale", "input": {"task_id": source}})
    (out,) = json.loads(record(client, upscaled)["data"]["resultJson"])["resultUrls"]
    assert decode(client.get(out).content).size == (2592, 1728)
    emulator.set_profile("stuck")
    unfinished = create(client)
    refused = client.post(
        CREATE,
        json={"model": "grok-imagine/upscale", "input": {"task_id": unfinished}},
        headers=AUTH,
    )
    assert refused.json()["code"] == 422
    assert "is not a finished Grok Imagine image task" in refused.json()["msg"]


def test_the_51st_concurrent_task_is_refused_in_the_realistic_profile(
    client: TestClient, emulator: Emulator
) -> None:
    emulator.set_profile("realistic")
    for _ in range(50):
        create(client)
    refused = client.post(CREATE, json=T2I, headers=AUTH)
    assert refused.status_code == 429
    assert refused.json() == {
        "code": 429,
        "msg": "Rate limit exceeded: at most 50 concurrent tasks per account",
        "data": None,
    }
    other_account = client.post(CREATE, json=T2I, headers={"Authorization": "Bearer someone-else"})
    assert other_account.json()["code"] == 200


def test_finished_tasks_free_their_concurrency_slot(
    client: TestClient, emulator: Emulator, clock: ManualClock
) -> None:
    emulator.set_profile("realistic")
    for _ in range(50):
        create(client)
    clock.advance(60)
    assert create(client)


@pytest.mark.slow
def test_the_501st_creation_in_an_hour_is_refused(clock: ManualClock) -> None:
    emulator = Emulator(clock=clock, profile="realistic", seed=1)
    with TestClient(create_app(emulator)) as client:
        for _ in range(10):
            for _ in range(50):
                create(client)
            clock.advance(30)  # every task ends, so only the hourly count grows
        refused = client.post(CREATE, json=T2I, headers=AUTH)
        assert refused.status_code == 429
        assert refused.json()["msg"] == "Rate limit exceeded: at most 500 task creations per hour"
        clock.advance(3600)
        assert create(client)


def test_limits_are_off_by_default_and_configurable(clock: ManualClock) -> None:
    relaxed = Emulator(clock=clock, profile="stuck")
    with TestClient(create_app(relaxed)) as client:
        for _ in range(60):
            create(client)
    tight = Emulator(
        Settings(profile="fast", enforce_limits=True, limits={"apikley": {"concurrent": 2}}),
        clock=clock,
    )
    with TestClient(create_app(tight)) as client:
        create(client)
        create(client)
        assert client.post(CREATE, json=T2I, headers=AUTH).status_code == 429


def test_creation_times_are_kept_only_for_a_limit_and_only_as_many(clock: ManualClock) -> None:
    relaxed = Emulator(clock=clock, profile="instant")
    with TestClient(create_app(relaxed)) as client:
        for _ in range(30):
            create(client)
    account = relaxed.accounts.get("apikley", KEY)
    assert account is not None
    assert not account.created
    hourly = Emulator(clock=clock, profile="instant", limits={"apikley": {"per_hour": 3}})
    with TestClient(create_app(hourly)) as client:
        for _ in range(3):
            create(client)
            clock.advance(1)
        assert client.post(CREATE, json=T2I, headers=AUTH).status_code == 429
        account = hourly.accounts.get("apikley", KEY)
        assert account is not None
        assert len(account.created) == 3
        clock.advance(3600 - 3)  # the first creation leaves the hour, the other two stay
        create(client)
        assert client.post(CREATE, json=T2I, headers=AUTH).status_code == 429


def test_hosts_and_mount(client: TestClient) -> None:
    for host in ("api.apikley.ru", "api.kie.ai"):
        response = client.post("/api/v1/jobs/createTask", json=T2I, headers={**AUTH, "Host": host})
        assert response.json()["code"] == 200
        info = client.get(
            "/api/v1/jobs/recordInfo",
            params={"taskId": response.json()["data"]["taskId"]},
            headers={**AUTH, "Host": host},
        ).json()
        assert json.loads(info["data"]["resultJson"])["resultUrls"][0].startswith(
            f"http://{host}/tempfile/"
        )


# -- callbacks ------------------------------------------------------------


def test_success_callback_carries_code_200_and_the_record(
    client: TestClient, emulator: Emulator, receiver: WebhookReceiver
) -> None:
    task_id = create(client, {**T2I, "callBackUrl": receiver.url})
    (delivery,) = receiver.wait(1)
    body = delivery.json
    assert body["code"] == 200
    assert body["msg"] == "Playground task completed successfully."
    assert body["data"]["taskId"] == task_id == body["data"]["task_id"]
    assert body["data"]["state"] == "success"
    assert {k: v for k, v in body["data"].items() if k != "task_id"} == record(client, task_id)[
        "data"
    ]
    assert "x-webhook-signature" not in delivery.headers


def test_failed_generation_calls_back_with_501(
    client: TestClient, receiver: WebhookReceiver
) -> None:
    create(client, {**T2I, "callBackUrl": receiver.url, "input": {"prompt": "[mock:job-failed]"}})
    (delivery,) = receiver.wait(1)
    assert delivery.json["code"] == 501
    assert delivery.json["data"]["state"] == "fail"
    assert delivery.json["data"]["failCode"] == "501"


def test_callbacks_are_signed_as_facts_describes(
    client: TestClient, emulator: Emulator, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    emulator.set_webhook_key("apikley", KEY, "whsec-test-key")
    clock.advance(42)
    task_id = create(client, {**T2I, "callBackUrl": receiver.url})
    (delivery,) = receiver.wait(1)
    timestamp = delivery.headers["x-webhook-timestamp"]
    assert timestamp == str(int(clock.now()))
    # Verified independently of the emulator's code, as a receiver would.
    expected = base64.b64encode(
        hmac.new(b"whsec-test-key", f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    ).decode()
    assert hmac.compare_digest(delivery.headers["x-webhook-signature"], expected)
    assert delivery.json["data"]["task_id"] == task_id


def test_webhook_keys_from_settings(clock: ManualClock, receiver: WebhookReceiver) -> None:
    emulator = Emulator(
        Settings(profile="instant", webhook_keys={"apikley": {KEY: "secret"}}), clock=clock
    )
    with TestClient(create_app(emulator)) as client:
        create(client, {**T2I, "callBackUrl": receiver.url})
        (delivery,) = receiver.wait(1)
    assert delivery.headers["x-webhook-signature"]


def test_admin_sets_a_webhook_key(client: TestClient, receiver: WebhookReceiver) -> None:
    response = client.put(f"/__mock/accounts/apikley/{KEY}", json={"webhook_key": "from-admin"})
    assert response.json()["webhook_key"] == "set"
    create(client, {**T2I, "callBackUrl": receiver.url})
    (delivery,) = receiver.wait(1)
    assert "x-webhook-signature" in delivery.headers
