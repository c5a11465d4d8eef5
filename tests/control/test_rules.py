"""Scenario rules that match on model, key, prompt, and expire on the virtual clock."""

from __future__ import annotations

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver import ManualClock, MockUsageError
from pytest_plugin import GrokMock

XAI = "https://api.x.ai/v1/images/generations"


def _generate(key: str, prompt: str, model: str = "grok-imagine-image") -> int:
    response = httpx.post(
        XAI, json={"model": model, "prompt": prompt}, headers={"Authorization": f"Bearer {key}"}
    )
    return response.status_code


def test_a_rule_matches_only_its_key(grok_mock: GrokMock) -> None:
    grok_mock.queue("rate-limited", provider="xai", key="tenant-b", times=None)
    assert _generate("tenant-a", "a cat") == 200
    assert _generate("tenant-b", "a cat") == 429
    assert _generate("tenant-b", "a cat") == 429
    assert _generate("tenant-a", "a cat") == 200


def test_a_rule_matches_a_prompt_pattern(grok_mock: GrokMock) -> None:
    grok_mock.queue("moderation-blocked", provider="xai", prompt=r"(?i)\bwar\b", times=2)
    assert _generate("k", "a cat at peace") == 200
    assert _generate("k", "WAR and peace") == 400
    assert _generate("k", "award ceremony") == 200  # \b: not every "war"
    assert _generate("k", "war again") == 400
    assert _generate("k", "war a third time") == 200  # times=2 ran out


def test_a_rule_matches_a_model(grok_mock: GrokMock) -> None:
    grok_mock.queue("server-error", provider="xai", model="grok-imagine-image-pro")
    assert _generate("k", "x") == 200
    assert _generate("k", "x", model="grok-imagine-image-pro") == 500


def test_a_rule_expires_on_the_virtual_clock(grok_mock: GrokMock) -> None:
    rule = grok_mock.queue("rate-limited", provider="xai", times=None, expires_in=60)
    assert _generate("k", "x") == 429
    grok_mock.advance(59)
    assert _generate("k", "x") == 429
    grok_mock.advance(1)
    assert _generate("k", "x") == 200
    assert rule.used == 2


def test_unmatched_rules_stay_queued(grok_mock: GrokMock) -> None:
    rule = grok_mock.queue("rate-limited", provider="segmind", key="someone-else")
    assert _generate("k", "x") == 200
    assert rule.used == 0
    assert list(grok_mock.emulator.rules) == [rule]


@pytest.mark.parametrize(
    ("match", "message"),
    [
        ({"prompt": "("}, "prompt pattern '(' is not a regex"),
        ({"expires_in": 0}, "expires_in must be positive seconds"),
        ({"times": 0}, "times must be a positive integer"),
        ({"operation": "v9.submit"}, "unknown operation 'v9.submit'"),
    ],
)
def test_bad_rules_are_refused(grok_mock: GrokMock, match: dict[str, object], message: str) -> None:
    with pytest.raises(MockUsageError, match=message.replace("(", r"\(")):
        grok_mock.queue("rate-limited", **match)  # type: ignore[arg-type]


def test_rules_over_the_admin_api(client: TestClient, clock: ManualClock) -> None:
    created = client.post(
        "/__mock/scenarios",
        json={
            "scenario": "rate-limited",
            "provider": "xai",
            "key": "tenant-b",
            "prompt": "^urgent",
            "times": 3,
            "expires_in": 30,
        },
    )
    assert created.status_code == 201
    rule = created.json()
    assert rule["key"] != "tenant-b"  # only a hint of the key is shown back
    assert (rule["prompt"], rule["times"], rule["expires_at"]) == ("^urgent", 3, clock.now() + 30)
    listed = client.get("/__mock/scenarios").json()["rules"]
    assert [r["id"] for r in listed] == [rule["id"]]
    bad = client.post("/__mock/scenarios", json={"scenario": "rate-limited", "prompt": 5})
    assert (bad.status_code, bad.json()["error"]) == (400, "'prompt' must be a string")
    assert client.delete(f"/__mock/scenarios/{rule['id']}").json() == {"deleted": rule["id"]}
    assert client.get("/__mock/scenarios").json()["rules"] == []


def test_the_controllers_queue_takes_exactly_the_rule_fields() -> None:
    # GrokMock.queue spells the fields out for editors and type checkers; RuleMatch is
    # their one source, which the admin API and the config file read.
    import inspect
    from dataclasses import fields

    from mockserver.engine.scenarios import RULE_FIELDS, RuleMatch
    from pytest_plugin import GrokMock

    spelled = [p for p in inspect.signature(GrokMock.queue).parameters if p != "self"]
    assert spelled == list(RULE_FIELDS)
    assert RULE_FIELDS[1:] == tuple(f.name for f in fields(RuleMatch))
