"""Media URLs cannot be forged or outlive their job; what the emulator keeps is bounded."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import threading
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image
from starlette.testclient import TestClient

from mockserver import Emulator, ManualClock, create_app
from mockserver.engine.imaging import ImageFactory
from mockserver.engine.jobs import PARAMS_BUDGET, compact
from mockserver.engine.journal import TRUNCATED
from mockserver.engine.media import MediaRef, MediaSigner
from pytest_plugin.receiver import WebhookReceiver
from tests.conftest import decode
from tests.pixazo.test_pixazo import T2I

SEGMIND = "/segmind/v2/grok-imagine-image"
KEY = {"x-api-key": "k"}


def media_url(client: TestClient, **body: Any) -> str:
    job = client.post(SEGMIND, json={"prompt": "p", **body}, headers=KEY).json()
    output: str = client.get(job["response_url"], headers=KEY).json()["output"]
    return output


def emulator(**settings: Any) -> Emulator:
    return Emulator(clock=ManualClock(), profile="instant", seed=3, **settings)


def test_the_seed_does_not_give_away_the_media_secret() -> None:
    urls = []
    for _ in range(2):
        with TestClient(create_app(emulator())) as client:
            urls.append(media_url(client))
    first, second = urls
    # Same seed, same job id, same look; a different signature.
    assert first.split("/")[-2] == second.split("/")[-2]
    assert first != second
    with TestClient(create_app(emulator())) as client:
        assert client.get(first.replace("http://testserver", "")).status_code == 404


def test_a_configured_media_secret_gives_urls_stable_across_restarts() -> None:
    urls = []
    for _ in range(2):
        with TestClient(create_app(emulator(media_secret="stable"))) as client:
            urls.append(media_url(client))
    assert urls[0] == urls[1]


def test_tokens_for_sizes_no_provider_makes_are_refused() -> None:
    sizes = [(1024, 1024)]
    signer = MediaSigner(b"k", sizes)
    good = MediaRef("job", 0, 1024, 1024, "png", 1, 2_000_000_000)
    assert signer.parse("job", signer.token(good)) == good
    huge = MediaRef("job", 0, 12000, 12000, "png", 1, 2_000_000_000)
    assert signer.parse("job", signer.token(huge)) is None


def test_media_of_a_forgotten_job_is_not_found(clock: ManualClock) -> None:
    emu = Emulator(clock=clock, profile="instant", media_secret="stable")
    with TestClient(create_app(emu)) as client:
        url = media_url(client).replace("http://testserver", "")
        assert client.get(url).status_code == 200
        emu.reset()  # the job is gone; the same secret would still sign its token
        assert client.get(url).status_code == 404
        other = media_url(client, resolution="1k").replace("http://testserver", "")
        clock.advance(7 * 24 * 3600)  # Segmind keeps output files for 7 days
        response = client.get(other)
        assert (response.status_code, response.json()) == (
            404,
            {"error": "The requested output does not exist or has expired"},
        )


def test_concurrent_first_renders_of_one_look_share_one_render() -> None:
    factory = ImageFactory()
    ref = MediaRef("job", 0, 2816, 1536, "png", 3, 2_000_000_000)
    results: list[bytes] = []
    barrier = threading.Barrier(8)

    def fetch(index: int) -> None:
        barrier.wait()
        results.append(factory.image(ref, f"label {index}"))

    threads = [threading.Thread(target=fetch, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert factory.renders == 1
    assert len({len(r) for r in results}) == 1
    assert len(set(results)) == 8
    assert decode(results[0]).size == (2816, 1536)


def png(width: int, height: int) -> str:
    """A noisy PNG, so it does not compress to nothing."""
    buffer = io.BytesIO()
    Image.effect_noise((width, height), 64).convert("RGB").save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_jobs_keep_digests_of_inline_images_not_their_bytes() -> None:
    image = png(300, 200)
    kept = compact({"prompt": "keep me", "image_urls": [image], "n": 2})
    assert kept["prompt"] == "keep me"
    assert kept["n"] == 2
    (digest,) = kept["image_urls"]
    assert digest.startswith("data:image/png;base64,<")
    assert f"<{len(image)} chars" in digest
    many = compact({f"field{i}": "word " * 50_000 for i in range(10)})
    assert sum(len(v) for v in many.values()) <= PARAMS_BUDGET


def test_apikley_echoes_its_params_with_the_image_as_a_digest(client: TestClient) -> None:
    image = png(300, 200)
    body = {"model": "grok-imagine/image-to-image", "input": {"prompt": "p", "image_urls": [image]}}
    headers = {"Authorization": "Bearer k"}
    created = client.post("/apikley/api/v1/jobs/createTask", json=body, headers=headers).json()
    task = created["data"]["taskId"]
    record = client.get(f"/apikley/api/v1/jobs/recordInfo?taskId={task}", headers=headers).json()
    param = json.loads(record["data"]["param"])
    assert param["model"] == "grok-imagine/image-to-image"
    assert param["input"]["prompt"] == "p"
    assert "sha256" in param["input"]["image_urls"][0]
    assert len(record["data"]["param"]) < 500


def test_journal_entries_keep_a_bounded_body_and_header_set(clock: ManualClock) -> None:
    emu = Emulator(clock=clock, profile="instant", journal_body_bytes=2048)
    with TestClient(create_app(emu)) as client:
        huge_header = {"x-big": "h" * 100_000, **{f"x-h{i}": "v" * 900 for i in range(20)}}
        client.post(
            SEGMIND,
            json={"prompt": "p", "extra": {f"k{i}": ["x" * 150] * 19 for i in range(19)}},
            headers={**KEY, **huge_header},
        )
    (entry,) = emu.journal.query(operation="v2.submit")
    assert entry.body[TRUNCATED] is True
    assert entry.body["bytes"] > 50_000
    assert len(entry.body["sha256"]) == 64
    assert len(json.dumps(entry.body)) < 2400
    assert len(json.dumps(entry.request_headers)) < 8 * 1024 + 600
    assert entry.request_headers["x-big"].endswith("...(+98976 chars)")
    assert "more header(s) not kept" in entry.request_headers["..."]


def test_a_job_held_costs_under_a_kilobyte() -> None:
    """Every job is held for its provider's retention: what a submit leaves behind (its
    record, id, hold and expiry), measured over the whole app, stays under 1 KB."""
    app = create_app(Emulator(clock=ManualClock(), profile="stuck", seed=3, journal_size=8))
    body = json.dumps({"prompt": "a lighthouse", "resolution": "1k"}).encode()
    scope = {
        "type": "http",
        "method": "POST",
        "path": SEGMIND,
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"x-api-key", b"k"),
            (b"content-type", b"application/json"),
        ],
    }
    statuses = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def submit(count: int) -> None:
        for _ in range(count):
            await app(dict(scope), receive, send)

    asyncio.run(submit(100))  # caches and the journal's ring filled
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        asyncio.run(submit(500))
        per_job = (tracemalloc.get_traced_memory()[0] - before) / 500
    finally:
        tracemalloc.stop()
    assert statuses == [200] * 600
    assert per_job < 1024, per_job


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def test_sync_mode_webhooks_reach_the_receiver_whole_and_are_kept_bounded(
    client: TestClient, emulator: Emulator, receiver: WebhookReceiver
) -> None:
    headers = {"Ocp-Apim-Subscription-Key": "k", "X-Webhook-URL": receiver.url}
    body = {"prompt": "p", "sync_mode": True, "resolution": "2k", "num_images": 2}
    client.post(T2I, json=body, headers=headers)
    (received,) = receiver.wait(1)
    assert len(received.body) > 200_000  # two 2K JPEGs as data URIs
    assert received.json["output"]["media_url"][0].startswith("data:image/jpeg;base64,")
    (delivery,) = emulator.webhooks.wait(1)
    assert len(json.dumps(delivery.body)) < 2000
    kept = delivery.body["output"]["media_url"][0]
    assert kept.startswith("data:image/jpeg;base64,")
    assert kept.endswith(" chars)")
    (entry,) = emulator.journal.query(operation="webhook")
    assert entry.body == delivery.body


def test_many_unknown_fields_are_named_briefly_and_kept_bounded(
    client: TestClient, emulator: Emulator
) -> None:
    body = {"prompt": "p", **{f"field{i}": "v" * 20 for i in range(200_000)}}
    response = client.post(SEGMIND, json=body, headers=KEY)
    assert response.status_code == 200
    warning = response.headers["x-mock-warning"]
    assert warning.startswith("ignored unknown parameter(s): field0, field1,")
    assert warning.endswith("and 199980 more")
    (entry,) = emulator.journal.query(operation="v2.submit")
    assert len(entry.warnings[0]) < 400
    (job,) = emulator.jobs
    assert job.params["prompt"] == "p"
    assert len(json.dumps(job.params)) < PARAMS_BUDGET * 1.3
    assert (
        job.params["..."].endswith("more field(s), not kept>")
        or "more field(s)" in job.params["..."]
    )


@pytest.mark.parametrize(("depth", "status"), [(128, 200), (129, 400), (900, 400)])
def test_bodies_nest_at_most_128_deep(client: TestClient, depth: int, status: int) -> None:
    nested = "[" * (depth - 1) + "]" * (depth - 1)
    raw = '{"prompt": "p", "extra": ' + nested + "}"
    response = client.post(
        SEGMIND, content=raw, headers={**KEY, "content-type": "application/json"}
    )
    assert response.status_code == status
    if status == 400:
        assert response.json() == {
            "error": "Request body is not valid JSON: nested more than 128 levels deep"
        }


def test_urls_longer_than_8_kib_are_refused_by_name(client: TestClient) -> None:
    long = "http://127.0.0.1:9/" + "a" * 9000
    body = {"model": "grok-imagine/text-to-image", "input": {"prompt": "p"}, "callBackUrl": long}
    created = client.post(
        "/apikley/api/v1/jobs/createTask", json=body, headers={"Authorization": "Bearer k"}
    ).json()
    assert created["code"] == 422
    assert created["msg"] == "'callBackUrl' is a URL of 9019 characters; URLs may be at most 8192"
    pixazo = client.post(
        T2I,
        json={"prompt": "p"},
        headers={"Ocp-Apim-Subscription-Key": "k", "X-Webhook-URL": long},
    )
    assert pixazo.status_code == 400
    assert "X-Webhook-URL is 9019 characters long" in pixazo.json()["message"]


def test_host_headers_route_alike_however_many_come() -> None:
    """Which provider a Host header names is remembered, within bounds: hundreds of
    distinct headers each route as their name says, and the table stays small."""
    app = create_app(emulator())
    client = TestClient(app)
    for index in range(140):  # 280 distinct headers: more than are remembered
        port = 1000 + index
        provider = client.post(
            "/v2/grok-imagine-image",
            json={"prompt": "p"},
            headers={**KEY, "Host": f"API.Segmind.com:{port}"},
        )
        assert provider.status_code == 200, provider.text
        elsewhere = client.get("/v2/grok-imagine-image", headers={"Host": f"h{index}.test"})
        assert elsewhere.status_code == 404
        assert "surfaces" in elsewhere.json()
    assert len(app._by_host_sent) <= 256
