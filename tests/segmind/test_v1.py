"""Segmind v1: the synchronous call, image bytes or JSON, with accounting headers."""

from __future__ import annotations

import base64
import io

from PIL import Image
from starlette.testclient import TestClient

from mockserver import Emulator, ManualClock
from tests.conftest import KEY, decode

AUTH = {"x-api-key": KEY}


def test_grok_imagine_image_returns_png_bytes_at_the_documented_defaults(
    client: TestClient,
) -> None:
    response = client.post("/segmind/v1/grok-imagine-image", json={"prompt": "x"}, headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    image = decode(response.content)
    assert (image.format, image.size) == ("PNG", (2816, 1536))  # 16:9 at 2k by default
    assert response.headers["x-cost"] == "0.02"
    assert response.headers["x-remaining-credits"] == "9999.98"
    assert response.headers["x-request-id"]
    assert int(response.headers["x-seed-value"]) > 0
    float(response.headers["x-generation-time"])


def test_quality_mode_is_priced_as_the_quality_slug(client: TestClient) -> None:
    response = client.post(
        "/segmind/v1/grok-imagine-image",
        json={"prompt": "x", "mode": "quality", "n": 2, "resolution": "1k"},
        headers=AUTH,
    )
    assert response.headers["x-cost"] == "0.14"
    assert "first of n images" in response.headers["x-mock-warning"]


def test_the_quality_slug_returns_json_with_jpeg_urls(client: TestClient) -> None:
    response = client.post(
        "/segmind/v1/grok-imagine-image-quality",
        json={"prompt": "x", "n": 2, "aspect_ratio": "3:2", "resolution": "1k"},
        headers=AUTH,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "COMPLETED"
    assert len(body["output"]) == 2
    assert response.headers["x-cost"] == "0.14"
    image = decode(client.get(body["output"][0]).content)
    assert (image.format, image.size) == ("JPEG", (1296, 864))


def test_a_sync_call_takes_its_time_on_the_virtual_clock(
    client: TestClient, emulator: Emulator, clock: ManualClock
) -> None:
    emulator.set_profile("realistic")
    response = client.post("/segmind/v1/grok-imagine-image", json={"prompt": "x"}, headers=AUTH)
    assert response.status_code == 200
    assert 8 < float(response.headers["x-generation-time"]) < 13
    assert 8 < clock.offset < 13


def test_a_sync_generation_that_fails_answers_500_unbilled(
    client: TestClient, emulator: Emulator
) -> None:
    response = client.post(
        "/segmind/v1/grok-imagine-image",
        json={"prompt": "x [mock:moderation-blocked]"},
        headers=AUTH,
    )
    assert response.status_code == 500
    assert response.json() == {"error": "Generated image rejected by content moderation."}
    account = emulator.account("segmind", KEY)
    assert account is not None
    assert account.balance == 10000


def test_a_stuck_sync_call_times_out_with_504(client: TestClient, clock: ManualClock) -> None:
    response = client.post(
        "/segmind/v1/grok-imagine-image",
        json={"prompt": "x"},
        headers={**AUTH, "X-Mock-Scenario": "stuck"},
    )
    assert response.status_code == 504
    assert response.json() == {"error": "Request timed out"}
    assert clock.offset == 300


def test_v1_fails_an_unreadable_image_as_the_model_does(client: TestClient) -> None:
    # The model meets the image during the call: Segmind's 500, with what was wrong.
    response = client.post(
        "/segmind/v1/grok-imagine-image", json={"prompt": "x", "image": "%%%"}, headers=AUTH
    )
    assert response.status_code == 500
    assert response.json() == {"error": "Invalid value for 'image': not valid base64"}


def test_v1_edit_with_inline_image_keeps_its_ratio(client: TestClient) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 20, 30)).save(buffer, "JPEG")
    inline = "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()
    response = client.post(
        "/segmind/v1/grok-imagine-image",
        json={"prompt": "x", "image": inline, "resolution": "1k", "output_format": "jpeg"},
        headers=AUTH,
    )
    assert decode(response.content).size == (1296, 864)


def test_multipart_bodies_are_read_like_json(client: TestClient) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 300)).save(buffer, "PNG")
    response = client.post(
        "/segmind/v1/grok-imagine-image",
        data={"prompt": "x", "n": "1", "resolution": "1k"},
        files={"image": ("in.png", buffer.getvalue(), "image/png")},
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    assert decode(response.content).size == (864, 1296)
    bad = client.post(
        "/segmind/v1/grok-imagine-image",
        data={"prompt": "x", "n": "two"},
        headers=AUTH,
        files={"unused": ("a.txt", b"a")},
    )
    assert bad.status_code == 400
    assert bad.json() == {"error": "'n' must be an integer, got string 'two'"}
