"""xAI as the field sees it: kebab-case codes (and the legacy variant), an exhausted team,
no `created`, a seeded revised_prompt on every image; through the official openai SDK."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from openai import OpenAI, PermissionDeniedError, RateLimitError
from starlette.testclient import TestClient

from mockserver import Emulator, LiveServer, ManualClock, MockUsageError, create_app
from mockserver.engine.texts import Texts

KEY = "xai-team-key-0001"
AUTH = {"Authorization": f"Bearer {KEY}"}
GEN = "/xai/v1/images/generations"


def serve(**settings: Any) -> TestClient:
    emulator = Emulator(clock=ManualClock(), profile="instant", **settings)
    return TestClient(create_app(emulator))


@pytest.fixture
def legacy() -> Iterator[LiveServer]:
    emulator = Emulator(clock=ManualClock(), profile="instant", variants={"xai": "legacy"})
    with LiveServer(emulator) as server:
        yield server


def sdk(base: str) -> OpenAI:
    return OpenAI(api_key=KEY, base_url=f"{base}/v1", max_retries=0)


@pytest.mark.parametrize(
    ("scenario", "code"),
    [
        ("validation-error", "invalid-argument"),
        ("insufficient-credits", "permission-denied"),
        ("model-not-found", "not-found"),
        ("rate-limited", "resource-exhausted"),
        ("server-error", "internal"),
        ("gateway-timeout", "deadline-exceeded"),
    ],
)
def test_codes_are_kebab_case_by_default(scenario: str, code: str) -> None:
    with serve() as client:
        answer = client.post(
            GEN, json={"prompt": "x"}, headers={**AUTH, "X-Mock-Scenario": scenario}
        )
    assert answer.json()["code"] == code


def test_the_legacy_variant_writes_the_status_descriptions() -> None:
    with serve(variants={"xai": "legacy"}) as client:
        bad_key = client.post(
            GEN, json={"prompt": "x"}, headers={**AUTH, "X-Mock-Scenario": "unauthorized"}
        )
        no_credits = client.post(
            GEN, json={"prompt": "x"}, headers={**AUTH, "X-Mock-Scenario": "insufficient-credits"}
        )
    assert bad_key.json()["code"] == "Client specified an invalid argument"
    assert no_credits.json()["code"] == "The caller does not have permission"
    contract = client.get("/__mock/contracts/xai").json()
    assert contract["variant"] == "legacy"


def test_an_unknown_variant_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(MockUsageError, match=r"xai has no variant 'old'; known: legacy"):
        Emulator(variants={"xai": "old"})
    with pytest.raises(MockUsageError, match=r"segmind has no variant 'legacy'; known: none"):
        Emulator(variants={"segmind": "legacy"})


def test_an_exhausted_team_is_a_403_naming_the_team(live: LiveServer) -> None:
    headers = {"X-Mock-Scenario": "credits-exhausted"}
    with pytest.raises(PermissionDeniedError) as raised:
        sdk(live.url("xai")).images.generate(prompt="x", extra_headers=headers)
    body = raised.value.response.json()  # the SDK's .body is only the flat "error" text
    assert body["code"] == "permission-denied"
    team = re.search(r"Your team (\S+) has either used all available credits", body["error"])
    assert team is not None
    assert uuid.UUID(team.group(1))
    again = httpx.post(
        live.url("xai") + "/v1/images/generations",
        json={"prompt": "x"},
        headers={**AUTH, **headers},
    ).json()
    assert again == body  # the same team for the same key


def test_an_exhausted_team_was_a_429_in_early_2026(legacy: LiveServer) -> None:
    with pytest.raises(RateLimitError) as raised:
        sdk(legacy.url("xai")).images.generate(
            prompt="x", extra_headers={"X-Mock-Scenario": "credits-exhausted"}
        )
    body = raised.value.response.json()
    assert body["code"] == "Some resource has been exhausted"
    assert "monthly spending limit" in body["error"]


def test_xai_answers_have_no_created_and_gateways_do() -> None:
    with serve() as client:
        xai = client.post(GEN, json={"prompt": "x"}, headers=AUTH).json()
        agt = client.post(
            "/agtcloud/v1/images/generations",
            json={"model": "grok-imagine-image", "prompt": "x"},
            headers=AUTH,
        ).json()
    assert set(xai) == {"data", "usage"}
    assert isinstance(agt["created"], int)


def _revised(seed: int, prompt: str, **more: Any) -> list[str]:
    with serve(seed=seed) as client:
        body = client.post(GEN, json={"prompt": prompt, "n": 3, **more}, headers=AUTH).json()
    return [item["revised_prompt"] for item in body["data"]]


def test_revised_prompts_are_plausible_and_reproduce_by_seed() -> None:
    first = _revised(5, "A red fox in the snow")
    assert first == _revised(5, "A red fox in the snow")
    assert first != _revised(6, "A red fox in the snow")
    assert len(set(first)) == 3  # each image its own rewrite
    for text in first:
        assert "a red fox in the snow" in text
        assert text.endswith(".")
    assert _revised(5, "x", response_format="b64_json")[0]


def test_a_seed_gives_the_same_revised_prompts_as_it_always_has() -> None:
    # Made with Faker until the texts drew from a plain generator: the same draws, pinned.
    texts = Texts(7)
    assert texts.revised_prompt("a lighthouse", "job-0", 0) == (
        "A crisp studio photograph of a lighthouse, bathed in cool blue-hour light, with a "
        "rule-of-thirds composition. A dreamlike palette of slate blue and deep violet tones."
    )
    assert texts.revised_prompt("The fox", "job-0", 0) == (
        "A detailed digital illustration of the fox, bathed in soft golden-hour light, with a "
        "centred, symmetrical composition. A nostalgic palette of amber and slate blue tones."
    )


def test_the_sdk_reads_revised_prompts_and_deferred_results_carry_them(
    live: LiveServer, emulator: Emulator
) -> None:
    result = sdk(live.url("xai")).images.generate(prompt="A lighthouse at dusk", n=2)
    revised = [item.revised_prompt for item in result.data or []]
    assert all(text and "lighthouse at dusk" in text for text in revised)
    queued = httpx.post(
        live.url("xai") + "/v1/images/generations",
        json={"prompt": "A lighthouse at dusk", "n": 2, "deferred": True},
        headers=AUTH,
    ).json()
    done = httpx.get(live.url("xai") + f"/v1/images/{queued['request_id']}", headers=AUTH).json()
    assert all("lighthouse at dusk" in item["revised_prompt"] for item in done["data"])
