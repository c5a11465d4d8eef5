"""xAI and agtcloud surfaces: deferred jobs, moderation, edits, bad input, envelopes."""

from __future__ import annotations

import base64
import io
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image
from starlette.testclient import TestClient

from mockserver import Emulator, ManualClock
from tests.conftest import KEY, decode

AUTH = {"Authorization": f"Bearer {KEY}"}
GEN = "/{p}/v1/images/generations"
EDIT = "/{p}/v1/images/edits"
PROVIDERS = ["xai", "agtcloud"]


def post(client: TestClient, provider: str, path: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(path.format(p=provider), json=body, headers={**AUTH, **headers})


def generate(client: TestClient, provider: str, **body: Any) -> Any:
    response = post(client, provider, GEN, {"model": "grok-imagine-image", "prompt": "x", **body})
    assert response.status_code == 200, response.text
    return response.json()


def error_text(provider: str, response: Any) -> str:
    body = response.json()
    return str(body["error"] if provider == "xai" else body["error"]["message"])


def _data_uri(width: int, height: int, fmt: str = "PNG") -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (4, 5, 6)).save(buffer, fmt)
    mime = "image/png" if fmt == "PNG" else "image/jpeg"
    return f"data:{mime};base64," + base64.b64encode(buffer.getvalue()).decode()


# -- deferred mode ----------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_deferred_round_trip_pending_done_then_gone(
    client: TestClient, emulator: Emulator, clock: ManualClock, provider: str
) -> None:
    emulator.set_profile("realistic")
    submitted = generate(client, provider, deferred=True, n=2)
    assert set(submitted) == {"request_id"}
    url = f"/{provider}/v1/images/{submitted['request_id']}"
    pending = client.get(url, headers=AUTH)
    assert pending.status_code == 202
    assert pending.json() == {"request_id": submitted["request_id"], "status": "pending"}
    clock.advance(30)
    done = client.get(url, headers=AUTH)
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "done"
    assert len(body["data"]) == 2
    assert body["data"][0]["mime_type"] == "image/jpeg"
    assert body["usage"] == {"cost_in_usd_ticks": 400000000}
    assert decode(client.get(body["data"][0]["url"]).content).size == (1024, 1024)
    clock.advance(24 * 3600)
    gone = client.get(url, headers=AUTH)
    assert gone.status_code == 404
    assert client.get(body["data"][0]["url"]).status_code == 404


def test_deferred_failures_are_200_bodies_with_an_error_code(client: TestClient) -> None:
    for scenario, code in [
        ("job-failed", "internal_error"),
        ("job-error", "service_unavailable"),
        ("moderation-blocked", "invalid_argument"),
    ]:
        rid = generate(client, "xai", deferred=True, prompt=f"x [mock:{scenario}]")["request_id"]
        failed = client.get(f"/xai/v1/images/{rid}", headers=AUTH)
        assert failed.status_code == 200
        body = failed.json()
        assert body["status"] == "failed"
        assert body["error"]["code"] == code
        assert body["error"]["message"]


def test_deferred_only_takes_url(client: TestClient) -> None:
    response = post(
        client, "xai", GEN, {"prompt": "x", "deferred": True, "response_format": "b64_json"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "deferred requests only support response_format 'url'"


def test_unknown_deferred_ids_and_sync_ids_are_404(client: TestClient) -> None:
    assert client.get("/xai/v1/images/nope", headers=AUTH).status_code == 404
    sync = generate(client, "xai")
    assert (
        client.get(
            f"/xai/v1/images/{sync['data'][0]['url'].split('/')[-2]}", headers=AUTH
        ).status_code
        == 404
    )


# -- moderation -------------------------------------------------------------


def test_a_moderation_block_is_the_captured_400_and_is_billed(
    client: TestClient, emulator: Emulator
) -> None:
    response = post(client, "xai", GEN, {"prompt": "x [mock:moderation-blocked]"})
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid-argument",
        "error": "Generated image rejected by content moderation.",
        "usage": {"cost_in_usd_ticks": 500000000},
    }
    account = emulator.account("xai", KEY)
    assert account is not None
    assert account.spent == Decimal("0.05")


def test_agtcloud_moderation_is_a_content_policy_violation(client: TestClient) -> None:
    response = post(
        client,
        "agtcloud",
        GEN,
        {"model": "grok-imagine-image", "prompt": "x [mock:moderation-blocked]"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "content_policy_violation"


@pytest.mark.parametrize("response_format", ["url", "b64_json"])
def test_per_image_moderation_marks_the_last_image(
    client: TestClient, response_format: str
) -> None:
    body = generate(
        client, "xai", n=2, response_format=response_format, prompt="x [mock:image-moderated]"
    )
    first, last = body["data"]
    assert first[response_format]
    assert "respect_moderation" not in first
    assert last == {response_format: None, "mime_type": "image/jpeg", "respect_moderation": False}


# -- edits --------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_single_image_edit_keeps_the_input_ratio(client: TestClient, provider: str) -> None:
    for image, size in [
        ({"url": _data_uri(1920, 1080), "type": "image_url"}, (1408, 768)),
        ({"url": _data_uri(600, 900, "JPEG")}, (864, 1296)),
    ]:
        body = post(
            client, provider, EDIT, {"model": "grok-imagine-image", "prompt": "y", "image": image}
        ).json()
        assert decode(client.get(body["data"][0]["url"]).content).size == size


def test_an_own_output_can_be_edited(client: TestClient) -> None:
    source = generate(client, "xai", aspect_ratio="2:1")["data"][0]["url"]
    body = post(client, "xai", EDIT, {"prompt": "y", "image": {"url": source}}).json()
    assert decode(client.get(body["data"][0]["url"]).content).size == (1408, 704)


def test_multi_image_edits_take_an_aspect_ratio(client: TestClient) -> None:
    images = [{"url": _data_uri(100, 100)}, {"url": _data_uri(100, 200)}]
    body = post(
        client,
        "xai",
        EDIT,
        {"prompt": "<IMAGE_0> and <IMAGE_1>", "images": images, "aspect_ratio": "4:3"},
    ).json()
    assert decode(client.get(body["data"][0]["url"]).content).size == (1280, 896)


@pytest.mark.parametrize(
    ("body", "status", "text"),
    [
        (
            {
                "prompt": "y",
                "image": {"url": _data_uri(10, 10)},
                "images": [{"url": _data_uri(10, 10)}],
            },
            400,
            "not both",
        ),
        ({"prompt": "y"}, 422, "One of 'image' or 'images' is required"),
        (
            {"prompt": "y", "images": [{"url": _data_uri(10, 10)}] * 4},
            400,
            "'images' allows at most 3 item(s), got 4",
        ),
        (
            {"prompt": "y", "image": {"url": "data:image/png;base64,@@@"}},
            400,
            "Invalid value for 'image.url': not valid base64",
        ),
        (
            {"prompt": "y", "image": {"url": "not a url"}},
            400,
            "'image.url' must be an http(s) URL or a data: URI",
        ),
        ({"prompt": "y", "image": {}}, 422, "'image' needs a url or a file_id"),
    ],
)
def test_bad_edit_input(client: TestClient, body: dict[str, Any], status: int, text: str) -> None:
    response = post(client, "xai", EDIT, body)
    assert response.status_code == status
    assert text in response.json()["error"]


def test_multipart_edits_are_refused_as_xai_does(client: TestClient) -> None:
    response = client.post(
        "/xai/v1/images/edits", data={"prompt": "y"}, files={"image": ("a.png", b"x")}, headers=AUTH
    )
    assert response.status_code == 415
    assert response.json()["error"] == "Expected request with `Content-Type: application/json`"


# -- parameters and bad input ---------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "body", "status", "text"),
    [
        ("xai", {"prompt": "x", "n": 0}, 400, "'n' must be between 1 and 10, got 0"),
        ("xai", {"prompt": "x", "n": 11}, 400, "'n' must be between 1 and 10, got 11"),
        (
            "xai",
            {"prompt": "x", "response_format": "png"},
            422,
            "'response_format' must be one of 'url', 'b64_json'",
        ),
        (
            "xai",
            {"prompt": "x", "model": "grok-imagine-nope"},
            404,
            "The model grok-imagine-nope does not exist",
        ),
        ("xai", {"prompt": "x", "size": "1024x1024"}, 400, "Argument not supported: size"),
        ("xai", {"prompt": "x", "style": "vivid"}, 400, "Argument not supported: style"),
        ("xai", {"model": "grok-imagine-image"}, 422, "'prompt' is required"),
        ("xai", {"prompt": "x", "aspect_ratio": "7:5"}, 422, "'aspect_ratio' must be one of"),
        (
            "xai",
            {"prompt": "x", "model": "grok-imagine-image-2.0", "quality": "high"},
            400,
            "quality 'high' is not supported",
        ),
        ("agtcloud", {"prompt": "x"}, 400, "'model' is required"),
        (
            "agtcloud",
            {"model": "grok-imagine-image", "prompt": "x", "n": 11},
            400,
            "'n' must be between 1 and 10",
        ),
        (
            "agtcloud",
            {"model": "grok-imagine-image", "prompt": "x", "response_format": "png"},
            400,
            "'response_format' must be one of",
        ),
        (
            "agtcloud",
            {"model": "grok-imagine-image", "prompt": "x", "aspect_ratio": "21:9"},
            400,
            "'aspect_ratio' must be one of",
        ),
        (
            "agtcloud",
            {"model": "grok-imagine-image", "prompt": "x", "resolution": "1.5k"},
            400,
            "'resolution' must be one of",
        ),
    ],
)
def test_bad_input_names_the_problem(
    client: TestClient, provider: str, body: dict[str, Any], status: int, text: str
) -> None:
    response = post(client, provider, GEN, body)
    assert response.status_code == status
    assert text in error_text(provider, response)


def test_xai_takes_the_newest_ratios_and_1_5k(client: TestClient) -> None:
    body = generate(client, "xai", aspect_ratio="21:9", resolution="1.5k")
    assert decode(client.get(body["data"][0]["url"]).content).size == (2352, 1008)


def test_the_deprecated_pro_alias_still_works_with_a_warning(client: TestClient) -> None:
    response = post(client, "xai", GEN, {"model": "grok-imagine-image-pro", "prompt": "x"})
    assert response.status_code == 200
    assert "deprecated" in response.headers["x-mock-warning"]


def test_quality_only_on_2_0(client: TestClient) -> None:
    ok = post(
        client, "xai", GEN, {"model": "grok-imagine-image-2.0", "prompt": "x", "quality": "medium"}
    )
    assert ok.status_code == 200
    ignored = post(
        client, "xai", GEN, {"model": "grok-imagine-image", "prompt": "x", "quality": "low"}
    )
    assert "quality is ignored" in ignored.headers["x-mock-warning"]


def test_xai_keys_and_envelope(client: TestClient) -> None:
    missing = client.post("/xai/v1/images/generations", json={"prompt": "x"})
    assert missing.status_code == 400
    assert missing.json()["code"] == "invalid-argument"
    assert post(client, "xai", GEN, {"prompt": "x"}).headers["x-request-id"]


def test_invalid_xai_key_message_masks_the_key() -> None:
    from mockserver import create_app

    strict = Emulator(clock=ManualClock(), keys={"xai": {"good-key": 5}})
    with TestClient(create_app(strict)) as client:
        response = client.post(
            "/xai/v1/images/generations",
            json={"prompt": "x"},
            headers={"Authorization": "Bearer banana"},
        )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid-argument",
        "error": "Incorrect API key provided: ba***na. You can obtain an API key from https://console.x.ai.",
    }


@pytest.mark.parametrize(
    ("provider", "host"), [("xai", "api.x.ai"), ("agtcloud", "api-cs-al.naci-tech.com")]
)
def test_real_hosts_serve_the_real_paths(client: TestClient, provider: str, host: str) -> None:
    response = client.post(
        "/v1/images/generations",
        json={"model": "grok-imagine-image", "prompt": "x"},
        headers={**AUTH, "Host": host},
    )
    assert response.status_code == 200
    assert response.json()["data"][0]["url"].startswith(f"http://{host}/xai-imgen/")


def test_sync_generation_is_billed_per_image(client: TestClient, emulator: Emulator) -> None:
    generate(client, "xai", n=3)
    account = emulator.account("xai", KEY)
    assert account is not None
    assert account.spent == Decimal("0.06")
    emulator.set_balance("xai", KEY, "0.01")
    refused = post(client, "xai", GEN, {"prompt": "x"})
    assert refused.status_code == 403


def test_images_items_are_checked_field_by_field(client: TestClient) -> None:
    body = {"prompt": "y", "images": [{"url": ["not", "a", "string"], "type": "image_url"}]}
    response = post(client, "xai", EDIT, body)
    assert response.status_code == 422  # a wrong type does not deserialize: 422 on xAI
    assert response.json()["error"] == "'images[0].url' must be a string, got array of 3 items"


def test_unknown_fields_are_named_apart_from_unemulated_ones(client: TestClient) -> None:
    body = {"prompt": "y", "colour": "red", "storage_options": {}}
    response = post(client, "xai", GEN, body)
    assert response.status_code == 200
    assert response.headers["x-mock-warning"] == (
        "ignored unknown parameter(s): colour; "
        "ignored parameter(s) the emulator does not emulate: storage_options"
    )
