"""Self-conformance: every answer the emulator gives is the one its contract describes.

Hypothesis draws valid and broken submits from each contract; every answer,
and every read of the jobs they open (at each phase), and every media file,
must validate against the contract's schema for its status and content type.
Broken requests never get a 5xx.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from starlette.testclient import TestClient

from contracts import CONTRACTS, NETWORK_SCENARIOS, Contract, Model, Operation, thaw
from contracts.strategies import BrokenSubmit, Submit, broken_submits, minimal_submit, submits
from mockserver import Emulator, LiveServer, ManualClock, create_app
from mockserver.engine import Job
from mockserver.view import View
from tests.contracts.conformance import problems

AUTH = {
    name: {c.auth.header: f"{c.auth.scheme or ''} conformance".strip()}
    for name, c in CONTRACTS.items()
}
# Kie-style hosts: refusals ride on HTTP 200 with their own code in the body.
BODY_CODED = ("apikley", "kie")
EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class Harness:
    """One provider, served in-process on a manual clock."""

    def __init__(self, provider: str) -> None:
        self.contract = CONTRACTS[provider]
        self.clock = ManualClock()
        self.emulator = Emulator(clock=self.clock, profile="fast", seed=3)
        self.client = TestClient(create_app(self.emulator), base_url="http://testserver")
        self.base = "http://testserver" + self.contract.prefix
        self.headers = AUTH[provider]

    def send(
        self, method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None
    ) -> Any:
        content = body if isinstance(body, bytes) else None
        payload = None if isinstance(body, bytes) or body is None else json.dumps(body)
        return self.client.request(
            method,
            self.base + path,
            content=content if content is not None else payload,
            headers={"content-type": "application/json", **self.headers, **(headers or {})},
        )

    def expect_conforming(self, operation: Operation, model: Model | None, response: Any) -> None:
        found = problems(
            self.contract,
            operation,
            model,
            response.status_code,
            response.headers.get("content-type", ""),
            response.content,
        )
        assert not found, found

    def last_job(self) -> Job | None:
        entry = self.emulator.journal.tail(1)[0]
        return self.emulator.job(entry.job_id) if entry.job_id else None

    def read_everything(self, job: Job) -> None:
        """Every read operation on `job`, then every media file it made."""
        for operation in self.contract.operations:
            if operation.kind == "read":
                path = operation.path.replace("{request_id}", job.id)
                if operation.query:
                    path += f"?{operation.query[0].name}={job.id}"
                self.expect_conforming(operation, None, self.send(operation.method, path))
        media = next(op for op in self.contract.operations if op.kind == "media")
        for ref in self.emulator.media_refs(job):
            url = View(self.emulator, self.contract, "").media_link(ref)
            self.expect_conforming(media, None, self.send("GET", url))


# One provider in the inner loop; every provider with the slow tests.
@pytest.fixture(
    params=[pytest.param(p, marks=[] if p == "segmind" else [pytest.mark.slow]) for p in CONTRACTS]
)
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    made = Harness(request.param)
    with made.client:
        yield made


def _accepted(contract: Contract, response: Any) -> bool:
    if response.status_code not in (200, 202):
        return False
    if contract.provider in BODY_CODED:
        return bool(response.json()["code"] == 200)
    return True


def test_valid_submits_are_accepted_and_every_answer_conforms(harness: Harness) -> None:
    @EXAMPLES
    @given(submit=submits(harness.contract))
    def run(submit: Submit) -> None:
        response = harness.send("POST", submit.path, body=submit.body)
        harness.expect_conforming(submit.operation, submit.model, response)
        assert _accepted(harness.contract, response), (submit.body, response.text)
        job = harness.last_job()
        assert job is not None
        for step in (0.0, 0.5, 1.0, 5.0):
            harness.clock.advance(step)
            harness.read_everything(job)

    run()


def test_broken_submits_are_refused_in_shape_and_never_5xx(harness: Harness) -> None:
    @EXAMPLES
    @given(broken=broken_submits(harness.contract))
    def run(broken: BrokenSubmit) -> None:
        response = harness.send("POST", broken.path, body=broken.body)
        assert response.status_code < 500, (broken.problem, response.text)
        harness.expect_conforming(broken.operation, broken.model, response)
        assert not _accepted(harness.contract, response), (broken.problem, broken.body)

    run()


def test_every_scenario_on_every_operation_conforms(harness: Harness) -> None:
    contract = harness.contract
    submit = minimal_submit(contract)
    for scenario in harness.emulator.available[contract.provider]:
        if scenario in NETWORK_SCENARIOS:
            continue
        headers = {"X-Mock-Scenario": scenario}
        response = harness.send("POST", submit.path, body=submit.body, headers=headers)
        harness.expect_conforming(submit.operation, submit.model, response)
        if scenario == "success":
            assert _accepted(contract, response), response.text
        job = harness.last_job()
        harness.clock.advance(60)
        if job is not None and _accepted(contract, response):
            harness.read_everything(job)
        for operation in contract.operations:
            if operation.kind == "read":
                path = operation.path.replace("{request_id}", "no-such-id")
                if operation.query:
                    path += f"?{operation.query[0].name}=no-such-id"
                answer = harness.send(operation.method, path, headers=headers)
                harness.expect_conforming(operation, None, answer)


def test_unknown_ids_and_paths_answer_in_shape(harness: Harness) -> None:
    for operation in harness.contract.operations:
        path = operation.path.replace("{request_id}", "nope").replace("{job_id}", "nope")
        path = path.replace("{token}", "nope").replace("{ext}", "png")
        response = harness.send(operation.method, path)
        assert response.status_code < 500
        if operation.model_in is None:
            harness.expect_conforming(operation, None, response)


@pytest.mark.parametrize("scenario", ["success", "job-failed", "job-error"])
@pytest.mark.parametrize("provider", ["pixazo", "apikley", "kie"])
def test_webhook_bodies_are_the_contracts(provider: str, scenario: str) -> None:
    from jsonschema import Draft202012Validator

    from pytest_plugin.receiver import WebhookReceiver

    contract = CONTRACTS[provider]
    (hook,) = contract.webhooks
    emulator = Emulator(clock=ManualClock(), profile="instant", seed=3)
    submit = minimal_submit(contract)
    with WebhookReceiver() as receiver, LiveServer(emulator) as live:
        body = dict(submit.body)
        headers = {**AUTH[provider], "X-Mock-Scenario": scenario}
        if provider == "pixazo":
            headers["X-Webhook-URL"] = receiver.url
        else:
            body["callBackUrl"] = receiver.url
        answer = httpx.post(live.url(provider) + submit.path, json=body, headers=headers)
        assert answer.status_code in (200, 202), answer.text
        (delivered,) = receiver.wait(1)
    errors = list(Draft202012Validator(thaw(hook.schema)).iter_errors(delivered.json))
    assert not errors, [e.message for e in errors]
