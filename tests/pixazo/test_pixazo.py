"""Pixazo: the page's request and polling workflow, parameters, lifecycle, errors, billing."""

from __future__ import annotations

import base64
import io
from decimal import Decimal
from typing import Any

import pytest
import requests
from PIL import Image
from starlette.testclient import TestClient

from mockserver import Emulator, LiveServer, ManualClock
from tests.conftest import KEY, decode

AUTH = {"Ocp-Apim-Subscription-Key": KEY}
T2I = (
    "/pixazo/grok-imagine-pro-text-to-image-quality/v1"
    "/grok-imagine-pro-text-to-image-quality-request"
)
EDIT = "/pixazo/grok-imagine-pro-edit-quality/v1/grok-imagine-pro-edit-quality-request"
PAGE_BODY = {
    "prompt": "Abstract human silhouette, golden particles ready to burst outward representing joy",
    "num_images": 1,
    "aspect_ratio": "1:1",
    "resolution": "1k",
    "output_format": "jpeg",
}
PAGE_EDIT = {
    "prompt": "Make this scene more realistic but still keep the game vibes",
    "image_urls": ["https://pub-582b7213209642b9b995c96c95a30381.r2.dev/Image.jpeg"],
    "num_images": 1,
    "aspect_ratio": "auto",
    "resolution": "1k",
    "output_format": "jpeg",
}


def submit(
    client: TestClient, body: dict[str, Any] | None = None, path: str = T2I, **headers: str
) -> Any:
    response = client.post(path, json=body or PAGE_BODY, headers={**AUTH, **headers})
    assert response.status_code == 202, response.text
    return response.json()


def poll(client: TestClient, job: dict[str, Any]) -> Any:
    response = client.get(job["polling_url"], headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_pages_requests_example_and_polling_workflow(
    live: LiveServer, clock: ManualClock
) -> None:
    live.emulator.set_profile("realistic")
    url = live.url("pixazo") + T2I.removeprefix("/pixazo")
    headers = {
        "Content-Type": "application/json",
        "Cache-Control": "no-cache",
        "Ocp-Apim-Subscription-Key": "YOUR_API_KEY",
    }
    response = requests.post(url, json=PAGE_BODY, headers=headers)
    body = response.json()
    assert response.status_code == 202
    assert body["status"] == "QUEUED"
    assert body["request_id"].startswith("grok-imagine-pro-text-to-image-quality_019")
    assert body["polling_url"] == f"{live.url('pixazo')}/v2/requests/status/{body['request_id']}"
    seen = []
    for _ in range(10):  # the page: poll every 5-10 seconds
        status = requests.get(
            body["polling_url"], headers={"Ocp-Apim-Subscription-Key": "YOUR_API_KEY"}
        ).json()
        seen.append(status["status"])
        if status["status"] == "COMPLETED":
            break
        clock.advance(5)
    assert seen[0] == "QUEUED"
    assert "PROCESSING" in seen
    assert seen[-1] == "COMPLETED"
    image = decode(requests.get(status["output"]["media_url"][0]).content)
    assert (image.format, image.size) == ("JPEG", (1024, 1024))


def test_the_completed_body_has_the_documented_fields(
    client: TestClient, emulator: Emulator
) -> None:
    emulator.set_profile("polls")
    job = submit(
        client, {**PAGE_BODY, "num_images": 3, "output_format": "webp", "resolution": "2k"}
    )
    first = poll(client, job)
    assert first == {
        "request_id": job["request_id"],
        "status": "QUEUED",
        "model_id": "grok-imagine-pro-text-to-image-quality",
        "error": None,
        "output": None,
        "created_at": "2026-01-01T00:00:00.000Z",
        "updated_at": "2026-01-01T00:00:00.000Z",
        "completed_at": None,
    }
    assert poll(client, job)["status"] == "PROCESSING"
    done = poll(client, job)
    assert done["status"] == "COMPLETED"
    assert done["error"] is None
    assert done["completed_at"] == done["updated_at"]
    assert done["output"]["media_type"] == "image/webp"
    assert len(done["output"]["media_url"]) == 3
    for url in done["output"]["media_url"]:
        assert "/pixazo/r2/v1/" in url
        assert url.endswith("/output.webp")
        image = decode(client.get(url).content)
        assert (image.format, image.size) == ("WEBP", (2048, 2048))


def test_sync_mode_returns_data_uris(client: TestClient) -> None:
    job = submit(client, {**PAGE_BODY, "sync_mode": True, "output_format": "png"})
    (uri,) = poll(client, job)["output"]["media_url"]
    header, encoded = uri.split(",", 1)
    assert header == "data:image/png;base64"
    assert decode(base64.b64decode(encoded)).size == (1024, 1024)


@pytest.mark.parametrize(
    ("scenario", "status", "error"),
    [
        (
            "job-failed",
            "FAILED",
            "Generation failed: the model could not produce an image for this request",
        ),
        ("moderation-blocked", "FAILED", "Generated image rejected by content moderation."),
        ("job-error", "ERROR", "Internal error: the model service did not respond"),
    ],
)
def test_failed_and_error_come_through_the_status_body(
    client: TestClient, scenario: str, status: str, error: str
) -> None:
    body = poll(client, submit(client, **{"X-Mock-Scenario": scenario}))
    assert body["status"] == status
    assert body["error"] == error
    assert body["output"] is None
    assert body["completed_at"] is not None


def test_billing_per_image_error_not_charged(client: TestClient, emulator: Emulator) -> None:
    poll(client, submit(client, {**PAGE_BODY, "num_images": 2}))
    poll(client, submit(client, {**PAGE_BODY, "prompt": "x [mock:job-failed]"}))
    poll(client, submit(client, {**PAGE_BODY, "prompt": "x [mock:job-error]"}))
    account = emulator.account("pixazo", KEY)
    assert account is not None
    assert account.spent == Decimal("0.21")
    assert account.held == 0


def test_insufficient_balance_is_the_documented_402(client: TestClient, emulator: Emulator) -> None:
    emulator.set_balance("pixazo", KEY, "0.10")
    response = client.post(T2I, json={**PAGE_BODY, "num_images": 2}, headers=AUTH)
    assert response.status_code == 402
    assert response.json() == {
        "error": "Insufficient Balance",
        "message": "Your wallet does not have enough balance.",
    }


def test_an_unknown_model_path_is_the_documented_400(client: TestClient) -> None:
    response = client.post("/pixazo/grok-imagine-nope/v1/anything", json=PAGE_BODY, headers=AUTH)
    assert response.status_code == 400
    assert response.json() == {
        "error": "Model not found",
        "message": "Model 'grok-imagine-nope' not found or is disabled",
    }


def test_keys_are_checked_in_apims_shape(emulator: Emulator) -> None:
    strict = Emulator(clock=ManualClock(), keys={"pixazo": {"good": 5}})
    from mockserver import create_app

    with TestClient(create_app(strict)) as client:
        missing = client.post(T2I, json=PAGE_BODY)
        assert missing.status_code == 401
        assert missing.json()["message"].startswith("Access denied due to missing subscription key")
        wrong = client.post(T2I, json=PAGE_BODY, headers={"Ocp-Apim-Subscription-Key": "bad"})
        assert wrong.status_code == 401
        assert wrong.json() == {
            "statusCode": 401,
            "message": "Access denied due to invalid subscription key. Make sure to provide a "
            "valid key for an active subscription.",
        }
        good = client.post(T2I, json=PAGE_BODY, headers={"Ocp-Apim-Subscription-Key": "good"})
        assert good.status_code == 202


@pytest.mark.parametrize(
    ("scenario", "status", "body"),
    [
        (
            "forbidden",
            403,
            {
                "error": "Forbidden",
                "message": "Your subscription does not have access to this model",
            },
        ),
        (
            "rate-limited",
            429,
            {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 60 seconds."},
        ),
        (
            "server-error",
            500,
            {
                "error": "Internal Server Error",
                "message": "An unexpected error occurred while processing the request",
            },
        ),
        (
            "model-not-found",
            400,
            {"error": "Model not found", "message": "Model '{model}' not found or is disabled"},
        ),
    ],
)
def test_each_documented_code_on_demand(
    client: TestClient, scenario: str, status: int, body: Any
) -> None:
    response = client.post(T2I, json=PAGE_BODY, headers={**AUTH, "X-Mock-Scenario": scenario})
    assert response.status_code == status
    if scenario == "model-not-found":
        body = {
            **body,
            "message": "Model 'grok-imagine-pro-text-to-image-quality' not found or is disabled",
        }
    assert response.json() == body
    if scenario == "rate-limited":
        assert response.headers["retry-after"] == "60"


def test_status_errors_by_rule(client: TestClient, emulator: Emulator) -> None:
    job = submit(client)
    emulator.queue_scenario("server-error", provider="pixazo", operation="status")
    assert client.get(job["polling_url"], headers=AUTH).status_code == 500
    assert client.get(job["polling_url"], headers=AUTH).status_code == 200


def test_unknown_and_foreign_requests_are_404(client: TestClient) -> None:
    job = submit(client)
    other = client.get(job["polling_url"], headers={"Ocp-Apim-Subscription-Key": "other"})
    assert other.status_code == 404
    unknown = client.get("/pixazo/v2/requests/status/nope", headers=AUTH)
    assert unknown.json() == {"error": "Not Found", "message": "Request 'nope' not found"}


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        (T2I, {"num_images": 1}, "'prompt' is required"),
        (T2I, {**PAGE_BODY, "num_images": 0}, "'num_images' must be between 1 and 4, got 0"),
        (T2I, {**PAGE_BODY, "num_images": 5}, "'num_images' must be between 1 and 4, got 5"),
        (EDIT, {**PAGE_EDIT, "num_images": 6}, "'num_images' must be between 1 and 5, got 6"),
        (T2I, {**PAGE_BODY, "aspect_ratio": "auto"}, "'aspect_ratio' must be one of '2:1', "),
        (
            EDIT,
            {**PAGE_EDIT, "image_urls": ["https://a.example/1.png"] * 4},
            "'image_urls' allows at most 3",
        ),
        (EDIT, {**PAGE_EDIT, "image_urls": []}, "'image_urls' needs at least 1"),
        (EDIT, {"prompt": "x"}, "'image_urls' is required"),
        (
            EDIT,
            {**PAGE_EDIT, "image_urls": ["https://a.example/1.png", "not a url"]},
            "'image_urls[1]' must be an http(s) URL or a data: URI, got string 'not a url'",
        ),
        (T2I, {**PAGE_BODY, "sync_mode": "yes"}, "'sync_mode' must be a boolean, got string 'yes'"),
    ],
)
def test_bad_input_is_a_400_naming_the_problem(
    client: TestClient, path: str, body: dict[str, Any], message: str
) -> None:
    response = client.post(path, json=body, headers=AUTH)
    assert response.status_code == 400
    payload = response.json()
    assert payload["error"] == "Bad Request"
    assert payload["message"].startswith(message)


def test_a_malformed_body_and_a_bad_webhook_url_are_400(client: TestClient) -> None:
    malformed = client.post(
        T2I, content=b"{nope", headers={**AUTH, "content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.json()["message"].startswith("Request body is not valid JSON")
    hook = client.post(T2I, json=PAGE_BODY, headers={**AUTH, "X-Webhook-URL": "not-a-url"})
    assert hook.status_code == 400
    assert hook.json()["message"] == "X-Webhook-URL must be an http(s) URL, got string 'not-a-url'"


def _data_uri(width: int, height: int) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (1, 2, 3)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_edit_auto_keeps_the_inputs_ratio(client: TestClient) -> None:
    source = poll(client, submit(client, {**PAGE_BODY, "aspect_ratio": "9:16"}))
    own = source["output"]["media_url"][0]
    cases = [
        ([own], (768, 1408)),  # the emulator's own output: its size is known exactly
        ([_data_uri(1600, 900)], (1408, 768)),  # a data URI is read
        (PAGE_EDIT["image_urls"], (1024, 1024)),  # an outside URL is never fetched: 1:1
    ]
    for urls, size in cases:
        done = poll(client, submit(client, {**PAGE_EDIT, "image_urls": urls}, path=EDIT))
        assert decode(client.get(done["output"]["media_url"][0]).content).size == size


def test_edit_with_an_explicit_ratio_ignores_the_input(client: TestClient) -> None:
    done = poll(client, submit(client, {**PAGE_EDIT, "aspect_ratio": "16:9"}, path=EDIT))
    assert decode(client.get(done["output"]["media_url"][0]).content).size == (1408, 768)


def test_an_unreadable_data_uri_fails_the_job(client: TestClient) -> None:
    done = poll(
        client,
        submit(client, {**PAGE_EDIT, "image_urls": ["data:image/png;base64,AAAA"]}, path=EDIT),
    )
    assert done["status"] == "FAILED"
    assert done["error"].startswith("Invalid value for 'image_urls[0]'")


def test_allow_listed_hosts_are_fetched(emulator: Emulator) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    png = base64.b64decode(_data_uri(500, 1000).split(",", 1)[1])

    class Images(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Images)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        from mockserver import create_app

        fetching = Emulator(clock=ManualClock(), profile="instant", allowed_hosts=("127.0.0.1",))
        with TestClient(create_app(fetching)) as client:
            url = f"http://127.0.0.1:{server.server_address[1]}/in.png"
            done = poll(client, submit(client, {**PAGE_EDIT, "image_urls": [url]}, path=EDIT))
            assert decode(client.get(done["output"]["media_url"][0]).content).size == (704, 1408)
    finally:
        server.shutdown()


@pytest.mark.parametrize(
    ("path", "extra", "model_id"),
    [
        (
            "/pixazo/grok-imagine-image-v2/v1/text-to-image",
            {"quality": "medium"},
            "grok-imagine-image-v2",
        ),
        ("/pixazo/grok-imagine-api-641/v1/grok-imagine-api-request", {}, "grok-imagine-api-641"),
    ],
)
def test_the_model_ids_from_facts_are_served(
    client: TestClient, path: str, extra: dict[str, Any], model_id: str
) -> None:
    body = {k: v for k, v in PAGE_BODY.items() if k != "resolution" or "641" not in path}
    job = submit(client, {**body, **extra}, path=path)
    assert job["request_id"].startswith(f"{model_id}_")
    assert poll(client, job)["model_id"] == model_id


def test_v2_edit_is_served_and_quality_is_checked(client: TestClient) -> None:
    job = submit(client, PAGE_EDIT, path="/pixazo/grok-imagine-image-v2/v1/edit")
    assert poll(client, job)["status"] == "COMPLETED"
    bad = client.post(
        "/pixazo/grok-imagine-image-v2/v1/text-to-image",
        json={**PAGE_BODY, "quality": "ultra"},
        headers=AUTH,
    )
    assert bad.status_code == 400
    assert bad.json()["message"].startswith(
        "'quality' must be one of 'low', 'medium', 'high', 'auto'"
    )


def test_the_real_host_serves_the_real_paths(client: TestClient) -> None:
    response = client.post(
        T2I.removeprefix("/pixazo"), json=PAGE_BODY, headers={**AUTH, "Host": "gateway.pixazo.ai"}
    )
    assert response.status_code == 202
    assert response.json()["polling_url"].startswith("http://gateway.pixazo.ai/v2/requests/status/")


def test_a_seed_reproduces_request_ids() -> None:
    from mockserver import create_app

    def first_id(seed: int) -> str:
        with TestClient(create_app(Emulator(clock=ManualClock(), seed=seed))) as client:
            return str(submit(client)["request_id"])

    assert first_id(11) == first_id(11)
    assert first_id(11) != first_id(12)
