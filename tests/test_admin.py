"""The admin API under /__mock, as the README's curl examples use it."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from mockserver import Emulator, ManualClock
from tests.conftest import KEY

AUTH = {"x-api-key": KEY}
SUBMIT = "/segmind/v2/grok-imagine-image"


def test_health_lists_every_surface(client: TestClient) -> None:
    body = client.get("/__mock/health").json()
    assert body["status"] == "ok"
    assert body["providers"] == {
        "segmind": "http://testserver/segmind",
        "pixazo": "http://testserver/pixazo",
        "apikley": "http://testserver/apikley",
        "kie": "http://testserver/kie",
        "agtcloud": "http://testserver/agtcloud",
        "xai": "http://testserver/xai",
    }
    assert body["seed"] == 1
    assert body["profile"] == "instant"


def test_clock_advance_expires_a_request(client: TestClient, clock: ManualClock) -> None:
    job = client.post(SUBMIT, json={"prompt": "x"}, headers=AUTH).json()
    moved = client.post("/__mock/clock/advance", json={"seconds": 3600})
    assert moved.status_code == 200
    assert moved.json()["offset"] == 3600
    assert clock.offset == 3600
    assert client.get(job["status_url"], headers=AUTH).status_code == 404


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"seconds": -5}, "only moves forward"),
        ({"seconds": "ten"}, "'seconds' must be a number"),
        ({}, "'seconds' must be a number"),
    ],
)
def test_clock_advance_refuses_bad_input(client: TestClient, body: object, error: str) -> None:
    response = client.post("/__mock/clock/advance", json=body)
    assert response.status_code == 400
    assert error in response.json()["error"]


def test_malformed_admin_json_is_400(client: TestClient) -> None:
    response = client.post(
        "/__mock/clock/advance", content=b"{", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]


def test_queued_scenarios_apply_then_run_out(client: TestClient) -> None:
    rule = client.post(
        "/__mock/scenarios",
        json={"scenario": "insufficient-credits", "provider": "segmind", "times": 2},
    )
    assert rule.status_code == 201
    assert rule.json()["remaining"] == 2
    codes = [client.post(SUBMIT, json={"prompt": "x"}, headers=AUTH).status_code for _ in range(3)]
    assert codes == [406, 406, 200]
    assert client.get("/__mock/scenarios").json()["rules"] == []


def test_scenario_rules_can_be_listed_and_deleted(client: TestClient) -> None:
    first = client.post(
        "/__mock/scenarios", json={"scenario": "server-error", "times": None}
    ).json()
    client.post("/__mock/scenarios", json={"scenario": "job-failed"})
    listing = client.get("/__mock/scenarios").json()
    assert [r["scenario"] for r in listing["rules"]] == ["server-error", "job-failed"]
    assert "maintenance" in listing["catalogue"]
    assert "maintenance" not in listing["available"]["segmind"]
    assert client.delete(f"/__mock/scenarios/{first['id']}").status_code == 200
    assert client.delete(f"/__mock/scenarios/{first['id']}").status_code == 404
    assert client.delete("/__mock/scenarios").json()["rules"] == []


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"scenario": "explode"}, "scenario 'explode' is not available"),
        ({"scenario": "maintenance", "provider": "segmind"}, "not available on segmind"),
        ({"scenario": "server-error", "provider": "nope"}, "provider 'nope' is not served"),
        ({"scenario": "server-error", "times": 0}, "positive integer"),
        ({"scenario": "server-error", "times": "2"}, "'times' must be an integer"),
        ({"scenario": "server-error", "tims": 2}, "unknown field(s): tims"),
        ({}, "'scenario' is required"),
    ],
)
def test_bad_scenario_rules_are_refused(client: TestClient, body: object, error: str) -> None:
    response = client.post("/__mock/scenarios", json=body)
    assert response.status_code == 400
    assert error in response.json()["error"]


def test_balances_can_be_set_and_read(client: TestClient) -> None:
    put = client.put(f"/__mock/accounts/segmind/{KEY}", json={"balance": 0.01})
    assert put.status_code == 200
    assert put.json()["balance"] == "0.01"
    assert client.post(SUBMIT, json={"prompt": "x"}, headers=AUTH).status_code == 406
    client.put(f"/__mock/accounts/segmind/{KEY}", json={"balance": "5"})
    client.post(SUBMIT, json={"prompt": "x"}, headers=AUTH)
    assert client.get(f"/__mock/accounts/segmind/{KEY}").json()["balance"] == "4.98"
    bad = client.put(f"/__mock/accounts/segmind/{KEY}", json={"balance": -1})
    assert bad.status_code == 400
    assert "finite number >= 0" in bad.json()["error"]


def test_the_journal_records_and_filters_without_secrets(client: TestClient) -> None:
    job = client.post(SUBMIT, json={"prompt": "x"}, headers=AUTH).json()
    client.get(job["status_url"], headers=AUTH)
    client.get("/segmind/v2/requests/missing/status", headers=AUTH)
    journal = client.get("/__mock/journal").json()
    assert journal["count"] == 3
    submit = journal["entries"][0]
    assert submit["operation"] == "v2.submit"
    assert submit["status"] == 200
    assert submit["job_id"] == job["request_id"]
    assert submit["body"] == {"prompt": "x"}
    assert submit["request_headers"]["x-api-key"] == "te***"
    assert KEY not in str(journal)
    missing = client.get("/__mock/journal", params={"status": 404}).json()
    assert [e["path"] for e in missing["entries"]] == ["/segmind/v2/requests/missing/status"]
    by_key = client.get("/__mock/journal", params={"key": KEY, "operation": "v2.status"}).json()
    assert by_key["count"] == 2
    assert client.get("/__mock/journal", params={"limit": "x"}).status_code == 400


def test_a_job_can_be_read_by_id(client: TestClient) -> None:
    job = client.post(SUBMIT, json={"prompt": "x", "n": 2}, headers=AUTH).json()
    body = client.get(f"/__mock/jobs/{job['request_id']}").json()
    assert body["provider"] == "segmind"
    assert body["media"]["count"] == 2
    assert body["params"] == {"prompt": "x", "n": 2}
    assert client.get("/__mock/jobs/nope").status_code == 404


def test_reset_and_profile(client: TestClient, emulator: Emulator) -> None:
    client.post(SUBMIT, json={"prompt": "x"}, headers=AUTH)
    assert client.put("/__mock/profile", json={"profile": "polls"}).json()["profile"] == "polls"
    assert client.put("/__mock/profile", json={"profile": "warp"}).status_code == 400
    reset = client.post("/__mock/reset", json={"seed": 9})
    assert reset.json() == {"status": "reset", "seed": 9, "profile": "instant"}
    assert len(emulator.journal) == 0
    assert len(emulator.jobs) == 0


def test_contracts_are_served_as_data(client: TestClient) -> None:
    contract = client.get("/__mock/contracts/segmind").json()
    assert contract["provider"] == "segmind"
    assert contract["errors"]["insufficient-credits"]["status"] == 406
    assert client.get("/__mock/contracts/nope").status_code == 400


def test_unknown_admin_paths_and_surfaces_are_json_404(client: TestClient) -> None:
    assert client.get("/__mock/nothing").json() == {"error": "no admin endpoint at /__mock/nothing"}
    nowhere = client.get("/pixazo-typo/x")
    assert nowhere.status_code == 404
    assert nowhere.json()["surfaces"]["segmind"] == "http://testserver/segmind"
