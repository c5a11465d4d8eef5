"""Every message template is filled on every path: no scenario of any provider, chosen by
header, by prompt token or by rule, answers with a literal `{placeholder}`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from contracts import CONTRACTS, NETWORK_SCENARIOS, Contract
from contracts.strategies import minimal_submit
from mockserver import Emulator, ManualClock, create_app
from mockserver.engine.scenarios import supported

PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*(![rsa])?\}")
PATHS = ("header", "prompt", "rule")


def _auth(contract: Contract) -> dict[str, str]:
    return {contract.auth.header: f"{contract.auth.scheme or ''} sk-placeholder-test-1234".strip()}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _with_prompt(body: dict[str, Any], token: str) -> dict[str, Any]:
    """`body` with the scenario token at the end of its prompt, wherever the prompt sits."""
    if "prompt" in body:
        return {**body, "prompt": f"{body['prompt']} {token}"}
    if isinstance(body.get("input"), dict):
        return {**body, "input": _with_prompt(body["input"], token)}
    return body


# The header path runs in the inner loop; prompt tokens and rules with the slow tests.
@pytest.mark.parametrize(
    "path", [p if p == "header" else pytest.param(p, marks=pytest.mark.slow) for p in PATHS]
)
@pytest.mark.parametrize("provider", list(CONTRACTS))
def test_no_placeholder_survives(provider: str, path: str) -> None:
    contract = CONTRACTS[provider]
    emulator = Emulator(clock=ManualClock(), profile="instant", seed=7)
    left: dict[str, list[str]] = {}
    with TestClient(create_app(emulator)) as client:
        for scenario in supported(contract):
            if scenario in NETWORK_SCENARIOS:
                continue  # no body to fill
            emulator.reset()
            for answer in _answers(client, emulator, contract, scenario, path):
                if "json" not in answer.headers.get("content-type", ""):
                    continue
                texts = [*_strings(answer.json()), *answer.headers.values()]
                left.setdefault(scenario, []).extend(t for t in texts if PLACEHOLDER.search(t))
    assert not {name: texts for name, texts in left.items() if texts}


def _answers(
    client: TestClient, emulator: Emulator, contract: Contract, scenario: str, path: str
) -> list[Any]:
    """The submit playing `scenario` (chosen by `path`), and every read of its job."""
    submit = minimal_submit(contract)
    headers, body = _auth(contract), dict(submit.body)
    if path == "header":
        headers["X-Mock-Scenario"] = scenario
    elif path == "prompt":
        body = _with_prompt(body, f"[mock:{scenario}]")
    else:
        emulator.queue_scenario(scenario, provider=contract.provider)
    answers = [client.post(f"{contract.prefix}{submit.path}", json=body, headers=headers)]
    journal = emulator.journal.query(provider=contract.provider)
    for job_id in {e.job_id for e in journal if e.job_id}:
        answers.extend(_reads(client, contract, job_id, _auth(contract)))
    return answers


def _reads(
    client: TestClient, contract: Contract, job_id: str, headers: dict[str, str]
) -> list[Any]:
    reads = [op for op in contract.operations if op.kind == "read" and op.job_param]
    out = []
    for op in reads:
        path = contract.prefix + op.path.replace("{" + op.job_param + "}", job_id)
        params = {} if "{" + op.job_param + "}" in op.path else {op.job_param: job_id}
        out.append(client.get(path, params=params, headers=headers))
    return out
