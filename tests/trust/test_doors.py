"""The ways in and out: the admin API's origin and host checks, one token policy,
input images on loopback, clients that hang up, and shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import io
import signal
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from PIL import Image
from starlette.testclient import TestClient

from mockserver import Emulator, LiveServer, ManualClock, create_app
from mockserver.server import admin_policy
from tests.conftest import decode
from tests.pixazo.test_pixazo import EDIT, T2I
from tests.pixazo.test_webhooks import closed_port_url
from tests.test_cli import serve

# -- the admin API trusts no browser ---------------------------------------------


def test_cross_origin_admin_requests_are_refused(client: TestClient) -> None:
    # A page anywhere can POST text/plain here; the browser says where it came from.
    evil = client.post(
        "/__mock/reset",
        content=b"{}",
        headers={"origin": "https://evil.example", "content-type": "text/plain"},
    )
    assert evil.status_code == 403
    assert "cross-origin" in evil.json()["error"]
    sneaky = client.get("/__mock/journal", headers={"sec-fetch-site": "cross-site"})
    assert sneaky.status_code == 403
    null = client.get("/__mock/journal", headers={"origin": "null"})
    assert null.status_code == 403
    own = client.post("/__mock/reset", json={}, headers={"origin": "http://testserver"})
    assert own.status_code == 200
    assert (
        client.get("/__mock/journal", headers={"sec-fetch-site": "same-origin"}).status_code == 200
    )


def test_a_rebound_host_name_is_refused(live: LiveServer) -> None:
    port = live.base_url.rsplit(":", 1)[1]
    rebound = httpx.get(f"{live.base_url}/__mock/journal", headers={"host": f"evil.example:{port}"})
    assert rebound.status_code == 403
    assert "answers to" in rebound.json()["error"]
    for name in ("127.0.0.1", "localhost"):
        ok = httpx.get(f"{live.base_url}/__mock/journal", headers={"host": f"{name}:{port}"})
        assert ok.status_code == 200
    # Provider surfaces are not the admin API: any Host reaches them (that is how Host
    # routing to api.segmind.com works).
    provider = httpx.get(
        f"{live.base_url}/v2/requests/x/status",
        headers={"host": "api.segmind.com", "x-api-key": "k"},
    )
    assert provider.status_code == 404
    assert provider.json() == {"error": "Request x not found"}


def test_one_token_policy_for_every_way_of_serving() -> None:
    emulator = Emulator()
    assert admin_policy(emulator, "127.0.0.1").token is None
    assert admin_policy(emulator, "localhost").token is None
    beyond = admin_policy(emulator, "192.0.2.10")
    assert beyond.token
    assert len(beyond.token) >= 20
    assert beyond.hosts == frozenset({"192.0.2.10"})
    anywhere = admin_policy(emulator, "0.0.0.0")
    assert anywhere.token
    assert anywhere.hosts is None
    configured = Emulator(admin_token="t0ken", admin_hosts=("mock.internal",))
    policy = admin_policy(configured, "127.0.0.1")
    assert policy.token == "t0ken"
    assert policy.hosts is not None
    assert "mock.internal" in policy.hosts
    with LiveServer(configured) as server:
        assert server.admin_token == "t0ken"
        assert httpx.get(f"{server.base_url}/__mock/journal").status_code == 401
        assert httpx.get(f"{server.base_url}/__mock/health").status_code == 200


# -- input images on loopback are fetched ----------------------------------------


class _Images(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path != "/input.png":
            self.send_error(404)
            return
        buffer = io.BytesIO()
        Image.new("RGB", (900, 600), (200, 10, 10)).save(buffer, "PNG")
        data = buffer.getvalue()
        self.send_response(200)
        self.send_header("content-type", "image/png")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def image_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Images)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join(5)
    server.server_close()


def test_an_input_image_on_loopback_sets_the_output_ratio(
    client: TestClient, image_server: str
) -> None:
    headers = {"Authorization": "Bearer k"}
    edit = client.post(
        "/xai/v1/images/edits",
        json={"prompt": "redder", "image": {"url": f"{image_server}/input.png"}},
        headers=headers,
    )
    assert edit.status_code == 200, edit.text
    url = edit.json()["data"][0]["url"].replace("http://testserver", "")
    assert decode(client.get(url).content).size == (1296, 864)  # 3:2, as the input
    auth = {"Ocp-Apim-Subscription-Key": "k"}
    job = client.post(
        EDIT, json={"prompt": "x", "image_urls": [f"{image_server}/input.png"]}, headers=auth
    ).json()
    status = client.get(job["polling_url"], headers=auth).json()
    size = decode(client.get(status["output"]["media_url"][0]).content).size
    assert size == (1296, 864)


def test_a_loopback_input_that_cannot_be_fetched_fails_as_the_provider_would(
    client: TestClient, image_server: str
) -> None:
    missing = f"{image_server}/nope.png"
    xai = client.post(
        "/xai/v1/images/edits",
        json={"prompt": "x", "image": {"url": missing}},
        headers={"Authorization": "Bearer k"},
    )
    assert xai.status_code == 400
    assert xai.json()["error"] == "Invalid value for 'image.url': fetching it answered HTTP 404"
    headers = {"x-api-key": "k"}
    job = client.post(
        "/segmind/v2/grok-imagine-image",
        json={"prompt": "x", "image": closed_port_url()},
        headers=headers,
    ).json()
    failed = client.get(job["status_url"], headers=headers)
    assert failed.status_code == 422
    assert failed.json()["error"].startswith("Invalid value for 'image': it could not be fetched")


def test_an_outside_input_url_is_named_not_silently_ignored(client: TestClient) -> None:
    response = client.post(
        "/xai/v1/images/edits",
        json={"prompt": "x", "image": {"url": "https://images.example.com/cat.png"}},
        headers={"Authorization": "Bearer k"},
    )
    assert response.status_code == 200
    warning = response.headers["x-mock-warning"]
    assert "image.url: the emulator did not fetch it" in warning
    assert "images.example.com is neither" in warning
    assert "the output keeps the requested aspect ratio" in warning


# -- clients that hang up, and shutting down ---------------------------------------


def test_a_client_that_disconnects_mid_body_is_not_an_emulator_bug(live: LiveServer) -> None:
    host, port = live.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(
            b"POST /segmind/v2/grok-imagine-image HTTP/1.1\r\nhost: x\r\nx-api-key: k\r\n"
            b'content-type: application/json\r\ncontent-length: 100000\r\n\r\n{"prompt"'
        )
    deadline = time.monotonic() + 10
    while not live.emulator.journal.query(operation="v2.submit"):
        assert time.monotonic() < deadline
        time.sleep(0.01)  # waiting for the server thread, not for emulated time
    (entry,) = live.emulator.journal.query(operation="v2.submit")
    assert entry.status == 499
    assert entry.error == "the client disconnected before its request was complete"
    assert live.emulator.jobs.__len__() == 0


def test_pending_webhooks_are_journaled_as_dropped_when_drained() -> None:
    clock = ManualClock()
    emulator = Emulator(clock=clock, profile="instant")
    with TestClient(create_app(emulator)) as client:
        client.post(
            T2I,
            json={"prompt": "x"},
            headers={"Ocp-Apim-Subscription-Key": "k", "X-Webhook-URL": closed_port_url()},
        )
        emulator.webhooks.wait_for(lambda: bool(emulator.journal.query(operation="webhook")))
        assert emulator.webhooks.pending == 1  # the retry waits a second on the emulator clock
        sent, dropped = asyncio.run(emulator.webhooks.drain(0.5))
    assert (sent, dropped) == (0, 1)
    (delivery,) = emulator.webhooks.deliveries()
    assert delivery.state == "dropped"
    first, last = emulator.journal.query(operation="webhook")
    assert "ConnectError" in (first.error or "")
    assert last.error == "dropped: the emulator shut down before it could be sent"


@pytest.mark.slow
def test_sigterm_stops_the_server_within_two_seconds_with_a_hang_open() -> None:
    with serve("--profile", "instant") as served:
        submit = httpx.post(
            f"{served.origin}{T2I}",
            json={"prompt": "x"},
            headers={"Ocp-Apim-Subscription-Key": "k", "X-Webhook-URL": closed_port_url()},
        )
        assert submit.status_code == 202

        def hang() -> None:
            with contextlib.suppress(httpx.HTTPError):  # the server goes away under it
                httpx.post(
                    f"{served.origin}/segmind/v2/grok-imagine-image",
                    json={"prompt": "x"},
                    headers={"x-api-key": "k", "x-mock-scenario": "hang"},
                    timeout=30,
                )

        waiting = threading.Thread(target=hang)
        waiting.start()
        deadline = time.monotonic() + 10
        while '"operation":"v2.submit"' not in httpx.get(f"{served.origin}/__mock/journal").text:
            assert time.monotonic() < deadline
            time.sleep(0.01)  # waiting for the other process to take the request
        began = time.monotonic()
        served.process.send_signal(signal.SIGTERM)
        served.process.wait(timeout=10)
        took = time.monotonic() - began
        waiting.join(10)
        assert served.process.stdout is not None
        said = served.process.stdout.read()
    assert took < 2.0, took
    assert "1 pending dropped (journaled)" in said
