"""Pixazo's X-Webhook-URL through the shared webhook engine: once per job, retried, fenced."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import Emulator, ManualClock, create_app
from pytest_plugin.receiver import WebhookReceiver
from tests.pixazo.test_pixazo import AUTH, PAGE_BODY, T2I, poll


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def submit(client: TestClient, url: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
    response = client.post(
        T2I, json=body or PAGE_BODY, headers={**AUTH, "X-Webhook-URL": url, **headers}
    )
    assert response.status_code == 202, response.text
    return response.json()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def test_one_webhook_per_finished_job_with_the_status_body(
    client: TestClient, emulator: Emulator, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    emulator.set_profile("fast")
    jobs = [submit(client, receiver.url) for _ in range(3)]
    clock.advance(5)
    received = receiver.wait(3)
    emulator.webhooks.wait(3)  # the emulator has recorded its side too
    assert sorted(r.json["request_id"] for r in received) == sorted(j["request_id"] for j in jobs)
    for delivery in received:
        assert delivery.headers["content-type"] == "application/json"
        assert delivery.json == poll(
            client,
            {
                "polling_url": jobs[0]["polling_url"].replace(
                    jobs[0]["request_id"], delivery.json["request_id"]
                )
            },
        )
        assert delivery.json["status"] == "COMPLETED"
    clock.advance(3600)
    assert len(receiver.attempts) == 3  # exactly one each, never again


def test_error_jobs_deliver_the_documented_error_body(
    client: TestClient, receiver: WebhookReceiver
) -> None:
    job = submit(client, receiver.url, **{"X-Mock-Scenario": "job-error"})
    (delivery,) = receiver.wait(1)
    body = delivery.json
    assert body["request_id"] == job["request_id"]
    assert body["status"] == "ERROR"
    assert body["model_id"] == "grok-imagine-pro-text-to-image-quality"
    assert body["error"] == "Internal error: the model service did not respond"
    assert body["output"] is None


def test_a_receiver_that_fails_twice_gets_it_on_the_third_try(
    client: TestClient, emulator: Emulator, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    receiver.fail_next(2)
    submit(client, receiver.url)
    receiver.wait_attempts(1)
    clock.advance(1)  # the first retry waits one second on the emulator clock
    receiver.wait_attempts(2)
    clock.advance(2)  # the second waits two
    receiver.wait(1)
    assert [a.status for a in receiver.attempts] == [500, 500, 200]
    (record,) = emulator.webhooks.wait(1)
    assert record.state == "delivered"
    assert [a["status"] for a in record.attempts] == [500, 500, 200]
    journal = emulator.journal.query(operation="webhook")
    assert [entry.status for entry in journal] == [500, 500, 200]


def test_a_receiver_that_is_down_leaves_a_failed_delivery(
    client: TestClient, emulator: Emulator, clock: ManualClock
) -> None:
    url = closed_port_url()
    submit(client, url)
    for attempts in range(1, 6):
        assert emulator.webhooks.wait_for(
            lambda n=attempts: sum(len(d.attempts) for d in emulator.webhooks.deliveries()) >= n
        )
        clock.advance(10)
    (record,) = emulator.webhooks.wait(1)
    assert record.state == "failed"
    assert len(record.attempts) == 5
    assert all("ConnectError" in a["error"] for a in record.attempts)
    assert len(emulator.journal.query(operation="webhook")) == 5
    # ... and the server keeps serving.
    assert client.post(T2I, json=PAGE_BODY, headers=AUTH).status_code == 202


def test_outside_hosts_are_refused_and_recorded_never_sent(
    client: TestClient, emulator: Emulator
) -> None:
    submit(client, "https://hooks.example.com/callback")
    (record,) = emulator.webhooks.wait(1)
    assert record.state == "refused"
    assert "only loopback and allow-listed hosts" in record.attempts[0]["error"]
    (entry,) = emulator.journal.query(operation="webhook")
    assert entry.status is None
    assert entry.path == "https://hooks.example.com/callback"


def test_polls_jobs_deliver_when_a_read_sees_them_end(
    client: TestClient, emulator: Emulator, receiver: WebhookReceiver
) -> None:
    emulator.set_profile("polls")
    job = submit(client, receiver.url)
    assert receiver.attempts == []
    for _ in range(3):
        poll(client, job)
    (delivery,) = receiver.wait(1)
    assert delivery.json["status"] == "COMPLETED"


def test_stuck_jobs_never_call(
    client: TestClient, clock: ManualClock, receiver: WebhookReceiver, emulator: Emulator
) -> None:
    submit(client, receiver.url, **{"X-Mock-Scenario": "stuck"})
    clock.advance(86400)
    assert not emulator.webhooks.wait_for(lambda: bool(receiver.attempts), timeout=0.3)


def test_the_submit_does_not_wait_for_the_receiver(clock: ManualClock) -> None:
    # A receiver that accepts connections but never answers: the submit is unaffected.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
        emulator = Emulator(clock=clock, profile="instant", webhook_timeout=0.5, webhook_attempts=1)
        with TestClient(create_app(emulator)) as client:
            for _ in range(5):
                assert submit(client, url)["status"] == "QUEUED"
            settled = emulator.webhooks.wait(5, timeout=10)
    assert [d.state for d in settled] == ["failed"] * 5


def test_reset_drops_pending_deliveries(
    client: TestClient, emulator: Emulator, receiver: WebhookReceiver
) -> None:
    emulator.set_profile("fast")
    submit(client, receiver.url)
    emulator.reset()
    emulator.clock.advance(10)
    assert emulator.webhooks.deliveries() == []
    assert not emulator.webhooks.wait_for(lambda: bool(receiver.attempts), timeout=0.3)


def test_an_empty_webhook_header_is_refused_naming_it(client: TestClient) -> None:
    # The contract says X-Webhook-URL is a URL; an empty one is a mistake, not "no webhook".
    headers = {**AUTH, "X-Webhook-URL": " "}
    response = client.post(T2I, json={"prompt": "x"}, headers=headers)
    assert response.status_code == 400
    assert "X-Webhook-URL must be an http(s) URL" in response.text
