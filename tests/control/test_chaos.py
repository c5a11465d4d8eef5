"""Seeded chaos: the same seed gives the same faults in the same order."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver import Emulator, ManualClock, MockUsageError, create_app
from mockserver.engine import UnknownScenario
from pytest_plugin import GrokMock

AUTH = {"x-api-key": "k"}
CHAOS = [
    {
        "provider": "segmind",
        "operation": "v2.submit",
        "scenario": "rate-limited",
        "probability": 0.05,
    },
    {
        "provider": "segmind",
        "operation": "v2.submit",
        "scenario": "job-failed",
        "probability": 0.02,
    },
    {
        "provider": "segmind",
        "operation": "v2.status",
        "scenario": "server-error",
        "probability": 0.03,
    },
    {
        "provider": "segmind",
        "operation": "v2.status",
        "scenario": "disconnect",
        "probability": 0.01,
    },
]


Outcome = tuple[str, int | None, str | None, str]


def _chaos_run(grok_mock: GrokMock, seed: int, requests: int = 1000) -> list[Outcome]:
    """Submit, then poll what was accepted: every outcome, in order."""
    grok_mock.reset(seed=seed)
    outcomes: list[Outcome] = []
    accepted: list[str] = []
    with httpx.Client(base_url=grok_mock.url("segmind"), headers=AUTH) as client:
        for index in range(requests):
            if index % 2 == 0 or not accepted:
                response = client.post("/v2/grok-imagine-image", json={"prompt": "x"})
                job_id = response.json().get("request_id", "")
                if response.status_code == 200:
                    accepted.append(job_id)
                outcomes.append(("submit", response.status_code, None, job_id))
                continue
            job_id = accepted.pop(0)
            try:
                response = client.get(f"/v2/requests/{job_id}/status")
            except httpx.TransportError as exc:  # the seeded disconnects
                outcomes.append(("status", None, type(exc).__name__, job_id))
                continue
            outcomes.append(("status", response.status_code, response.json().get("status"), job_id))
    return outcomes


@pytest.mark.grok_mock(chaos=CHAOS)
def test_a_thousand_requests_with_seed_7_replay_exactly(grok_mock: GrokMock) -> None:
    first = _chaos_run(grok_mock, 7)
    assert len(first) == 1000
    assert _chaos_run(grok_mock, 7) == first
    seen = Counter((kind, code, status) for kind, code, status, _ in first)
    # Every configured fault happened, and most requests were left alone.
    assert seen[("submit", 429, None)] > 0
    assert seen[("status", 422, "FAILED")] > 0
    assert seen[("status", 500, None)] > 0
    assert seen[("status", None, "ReadError")] > 0
    assert seen[("submit", 200, None)] > 400


@pytest.mark.grok_mock(chaos=CHAOS)
def test_another_seed_gives_other_faults(grok_mock: GrokMock) -> None:
    assert _chaos_run(grok_mock, 8, 300) != _chaos_run(grok_mock, 7, 300)


@pytest.mark.grok_mock(chaos=CHAOS)
def test_chaos_does_not_change_ids(grok_mock: GrokMock) -> None:
    stormy = _chaos_run(grok_mock, 7, 60)
    stormy_ids = [job for kind, code, _, job in stormy if kind == "submit" and code == 200]
    calm = Emulator(clock=ManualClock(), profile="instant", seed=7)
    with TestClient(create_app(calm), base_url="https://api.segmind.com") as client:
        calm_ids = [
            client.post("/v2/grok-imagine-image", json={"prompt": "x"}, headers=AUTH).json()
            for _ in stormy_ids
        ]
    assert [job["request_id"] for job in calm_ids] == stormy_ids


def test_chaos_is_journaled_as_chaos() -> None:
    emulator = Emulator(
        clock=ManualClock(),
        profile="instant",
        chaos=[{"provider": "apikley", "scenario": "insufficient-credits", "probability": 1}],
    )
    with TestClient(create_app(emulator), base_url="https://api.apikley.ru") as client:
        response = client.post(
            "/api/v1/jobs/createTask",
            json={"model": "grok-imagine/text-to-image", "input": {"prompt": "x"}},
            headers={"Authorization": "Bearer k"},
        )
    assert response.json()["code"] == 402
    (entry,) = emulator.journal.query(provider="apikley")
    assert (entry.scenario, entry.scenario_source) == ("insufficient-credits", "chaos")


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{"scenario": "rate-limited", "probability": 1.5}], "must be between 0 and 1, got 1.5"),
        (
            [
                {"scenario": "rate-limited", "probability": 0.7},
                {"scenario": "server-error", "probability": 0.4},
            ],
            "any provider / any operation add up to 1.1, above 1",
        ),
        ([{"scenario": "solar-flare", "probability": 0.1}], "solar-flare"),
        (
            [{"scenario": "job-failed", "probability": 0.1, "operation": "v2.status"}],
            "needs a submit operation",
        ),
        ([{"scenario": "rate-limited", "probability": 0.1, "chance": 1}], "unknown key(s) chance"),
        ([{"scenario": "rate-limited", "probability": 0.1, "provider": "nope"}], "not served"),
    ],
)
def test_bad_chaos_is_refused_by_name(entries: list[dict[str, object]], message: str) -> None:
    emulator = Emulator(clock=ManualClock())
    with pytest.raises(MockUsageError) as refused:
        emulator.set_chaos(entries)
    assert message in str(refused.value)
    assert emulator.director.chaos.entries == ()  # nothing half-applied


def test_unknown_scenarios_name_what_the_provider_can_show() -> None:
    with pytest.raises(UnknownScenario) as refused:
        Emulator(clock=ManualClock()).set_chaos(
            [{"provider": "xai", "scenario": "queue-full", "probability": 0.1}]
        )
    assert "rate-limited" in str(refused.value)
