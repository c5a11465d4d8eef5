"""Segmind v2: submit, status, result, FAILED as 422, expiry, visibility, billing."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import Emulator, ManualClock
from tests.conftest import KEY, decode

AUTH = {"x-api-key": KEY}
BODY = {"prompt": "a snow leopard", "aspect_ratio": "1:1", "resolution": "1k"}


def submit(client: TestClient, body: dict[str, Any] | None = None, **headers: str) -> Any:
    response = client.post(
        "/segmind/v2/grok-imagine-image", json=body or BODY, headers={**AUTH, **headers}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_submit_answers_the_documented_fields_pointing_back_at_the_emulator(
    client: TestClient,
) -> None:
    body = submit(client)
    rid = body["request_id"]
    assert body == {
        "request_id": rid,
        "status": "QUEUED",
        "poll_url": f"http://testserver/segmind/v1/requests/{rid}",
        "status_url": f"http://testserver/segmind/v2/requests/{rid}/status",
        "response_url": f"http://testserver/segmind/v2/requests/{rid}",
    }


def test_fast_profile_walks_queued_processing_completed_on_the_clock(
    client: TestClient, emulator: Emulator, clock: ManualClock
) -> None:
    emulator.set_profile("fast")
    job = submit(client)
    seen = []
    for _ in range(12):
        status = client.get(job["status_url"], headers=AUTH)
        assert status.status_code == 200
        seen.append(status.json()["status"])
        clock.advance(0.2)
    assert seen[0] == "QUEUED"
    assert "PROCESSING" in seen
    assert seen[-1] == "COMPLETED"
    assert seen.index("PROCESSING") > 0
    assert seen.index("COMPLETED") > seen.index("PROCESSING")


def test_pending_status_carries_the_urls_and_empty_metrics(
    client: TestClient, emulator: Emulator
) -> None:
    emulator.set_profile("polls")
    job = submit(client)
    body = client.get(job["status_url"], headers=AUTH).json()
    assert body == {
        "status": "QUEUED",
        "request_id": job["request_id"],
        "status_url": job["status_url"],
        "response_url": job["response_url"],
        "metrics": {},
    }
    pending_result = client.get(job["response_url"], headers=AUTH).json()
    assert pending_result["status"] == "PROCESSING"
    assert pending_result["output"] is None


def test_polls_profile_moves_one_state_per_read(client: TestClient, emulator: Emulator) -> None:
    emulator.set_profile("polls")
    job = submit(client)
    states = [client.get(job["status_url"], headers=AUTH).json()["status"] for _ in range(4)]
    assert states == ["QUEUED", "PROCESSING", "COMPLETED", "COMPLETED"]


def test_completed_result_has_metrics_and_downloadable_output(
    client: TestClient, emulator: Emulator, clock: ManualClock
) -> None:
    emulator.set_profile("realistic")
    job = submit(client, {**BODY, "n": 2, "output_format": "webp", "aspect_ratio": "9:16"})
    clock.advance(30)
    status = client.get(job["status_url"], headers=AUTH).json()
    assert status["status"] == "COMPLETED"
    metrics = status["metrics"]
    assert 8 < metrics["inference_time"] < 13
    assert metrics["total_time"] == pytest.approx(
        metrics["queue_time"] + metrics["inference_time"], abs=0.002
    )
    assert metrics["cost"] == 0.04
    assert metrics["remaining_credits"] == 9999.96
    result = client.get(job["response_url"], headers=AUTH).json()
    assert result["status"] == "COMPLETED"
    assert result["error"] is None
    assert len(result["output"]) == 2
    for url in result["output"]:
        image = client.get(url)
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/webp"
        assert image.headers["content-length"] == str(len(image.content))
        # What is left of the output files' 7 days: the job was submitted 30 s ago.
        assert image.headers["cache-control"] == f"public, max-age={7 * 86400 - 30}"
        assert decode(image.content).size == (768, 1408)
    assert client.get(result["output"][0]).content != client.get(result["output"][1]).content


@pytest.mark.parametrize("scenario", ["job-failed", "moderation-blocked", "job-error"])
def test_failed_jobs_are_served_as_422_on_both_urls(client: TestClient, scenario: str) -> None:
    job = submit(client, **{"x-mock-scenario": scenario})
    for url in (job["status_url"], job["response_url"], job["poll_url"]):
        response = client.get(url, headers=AUTH)
        assert response.status_code == 422
        body = response.json()
        assert body["status"] == "FAILED"
        assert body["error"]
        assert "cost" not in body["metrics"]
        assert "inference_time" in body["metrics"]
    assert (
        client.get(job["status_url"], headers=AUTH).json()["error"]
        == "Generated image rejected by content moderation."
    ) == (scenario == "moderation-blocked")


def test_failures_are_not_billed(client: TestClient, emulator: Emulator) -> None:
    job = submit(client, {**BODY, "prompt": "x [mock:job-failed]"})
    client.get(job["status_url"], headers=AUTH)
    account = emulator.account("segmind", KEY)
    assert account is not None
    assert account.balance == 10000
    assert account.held == 0


def test_unknown_ids_are_404_in_segmind_shape(client: TestClient) -> None:
    response = client.get("/segmind/v2/requests/nope/status", headers=AUTH)
    assert response.status_code == 404
    assert response.json() == {"error": "Request nope not found"}


def test_records_404_one_hour_after_submission(client: TestClient, clock: ManualClock) -> None:
    job = submit(client)
    clock.advance(3599)
    assert client.get(job["status_url"], headers=AUTH).status_code == 200
    result = client.get(job["response_url"], headers=AUTH).json()
    clock.advance(1)
    for url in (job["status_url"], job["response_url"]):
        expired = client.get(url, headers=AUTH)
        assert expired.status_code == 404
        assert expired.json() == {"error": f"Request {job['request_id']} not found"}
    # The output file outlives the record (seven days), then it is gone too.
    assert client.get(result["output"]).status_code == 200
    clock.advance(7 * 24 * 3600)
    assert client.get(result["output"]).status_code == 404


def test_a_request_is_invisible_to_another_key(client: TestClient) -> None:
    job = submit(client)
    other = client.get(job["status_url"], headers={"x-api-key": "someone-else"})
    assert other.status_code == 404


def test_the_expired_scenario_404s_at_once(client: TestClient) -> None:
    job = submit(client, **{"x-mock-scenario": "expired"})
    assert client.get(job["status_url"], headers=AUTH).status_code == 404


def test_stuck_never_completes(client: TestClient, clock: ManualClock) -> None:
    job = submit(client, {**BODY, "prompt": "[mock:stuck] forever"})
    for _ in range(5):
        clock.advance(600)
        assert client.get(job["status_url"], headers=AUTH).json()["status"] == "PROCESSING"


def test_slow_takes_longer_than_realistic(client: TestClient, clock: ManualClock) -> None:
    job = submit(client, **{"x-mock-scenario": "slow"})
    clock.advance(20)
    assert client.get(job["status_url"], headers=AUTH).json()["status"] == "PROCESSING"
    clock.advance(30)
    assert client.get(job["status_url"], headers=AUTH).json()["status"] == "COMPLETED"


def test_per_job_profile_header(client: TestClient) -> None:
    job = submit(client, **{"x-mock-profile": "polls"})
    assert client.get(job["status_url"], headers=AUTH).json()["status"] == "QUEUED"


def test_an_edit_keeps_the_input_images_aspect_ratio(client: TestClient) -> None:
    source = submit(client, {**BODY, "aspect_ratio": "9:16"})
    source_url = client.get(source["response_url"], headers=AUTH).json()["output"]
    edit = submit(client, {**BODY, "image": source_url, "aspect_ratio": "16:9"})
    output = client.get(edit["response_url"], headers=AUTH).json()["output"]
    assert decode(client.get(output).content).size == (768, 1408)


def test_an_unreadable_image_fails_the_job_not_the_submit(client: TestClient) -> None:
    job = submit(client, {**BODY, "image": "data:image/png;base64,AAAA"})
    failed = client.get(job["status_url"], headers=AUTH)
    assert failed.status_code == 422
    assert "'image'" in failed.json()["error"]
    assert "readable image" in failed.json()["error"]


def test_a_header_sent_twice_counts_as_its_first(client: TestClient) -> None:
    headers = [("x-api-key", "first-key"), ("X-Api-Key", "second-key")]
    for profile in ("first-profile", "instant"):  # an unknown profile first: refused
        headers.append(("x-mock-profile", profile))
    response = client.post("/segmind/v2/grok-imagine-image", json=BODY, headers=headers)
    assert response.status_code == 400, response.text
    assert "first-profile" in response.text
    headers = [("x-api-key", "first-key"), ("X-Api-Key", "second-key")]
    job = client.post("/segmind/v2/grok-imagine-image", json=BODY, headers=headers).json()
    assert client.get(job["status_url"], headers={"x-api-key": "first-key"}).status_code == 200
    assert client.get(job["status_url"], headers={"x-api-key": "second-key"}).status_code == 404


def test_headers_given_as_any_iterable_are_read_first_sent_first(emulator: Emulator) -> None:
    from mockserver.incoming import Incoming

    sent = [(b"x-api-key", b"one"), (b"accept", b"*/*"), (b"x-api-key", b"two")]
    contract = emulator.contracts["segmind"]
    for headers in (sent, tuple(sent), iter(sent)):  # ASGI allows any iterable
        scope = {"type": "http", "headers": headers}
        incoming = Incoming(scope, None, emulator, contract, None, "http://h")  # type: ignore[arg-type]
        assert (incoming.header("X-API-Key"), incoming.header("x-mock-scenario")) == ("one", None)
