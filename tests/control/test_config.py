"""The TOML config file: every section takes effect; every mistake is named."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mockserver import Emulator, ManualClock, MockUsageError, create_app
from mockserver.config import ConfigError, load_config, settings_from
from mockserver.engine.settings import effective_durations, effective_retention

EXAMPLE = Path(__file__).parents[2] / "examples" / "grok-mock.toml"


@pytest.fixture
def configured() -> Emulator:
    return Emulator(load_config(EXAMPLE), clock=ManualClock())


def test_the_example_config_sets_everything(configured: Emulator) -> None:
    settings = configured.settings
    assert (settings.seed, settings.profile, settings.journal_size) == (7, "fast", 5000)
    assert settings.allowed_hosts == ("hooks.internal",)
    assert configured.account("segmind", "SG_0123456789abcdef").balance == Decimal(25)  # type: ignore[union-attr]
    assert configured.accounts.authenticate("segmind", "anyone") is None  # only listed keys
    assert configured.accounts.authenticate("apikley", "anyone") is not None
    kie = configured.account("apikley", "kie-test")
    assert kie is not None
    assert (kie.balance, kie.webhook_key) == (Decimal("3.5"), "whsec-test")
    assert settings.prices["segmind"]["grok-imagine-image"] == Decimal("0.03")
    assert configured.limits("apikley") == (10, 600)
    assert [(r.scenario, r.times) for r in configured.rules] == [
        ("rate-limited", 2),
        ("moderation-blocked", 1000),
    ]
    assert [r.expires_at for r in configured.rules] == [None, configured.clock.now() + 600]
    assert len(configured.director.chaos.entries) == 2
    assert [e.kind for e in configured.director.latency.entries] == ["lognormal", "fixed"]
    assert (settings.webhook_attempts, settings.webhook_backoff) == (5, (1, 2, 4, 8))
    segmind, apikley = configured.contracts["segmind"], configured.contracts["apikley"]
    assert effective_durations(segmind, settings)["realistic"] == (1.0, 12.0)
    assert effective_retention(apikley, settings)[0] == 7200
    assert configured.contracts["xai"].variant == "legacy"
    assert configured.contracts["xai"].errors["unauthorized"].body["code"] == (
        "Client specified an invalid argument"
    )


def test_the_example_config_serves_what_it_says(configured: Emulator) -> None:
    with TestClient(create_app(configured), base_url="https://api.segmind.com") as client:

        def submit(key: str) -> int:
            response = client.post(
                "/v2/grok-imagine-image", json={"prompt": "x"}, headers={"x-api-key": key}
            )
            return response.status_code

        assert submit("SG_0123456789abcdef") == 429  # the two queued rate limits
        assert submit("SG_0123456789abcdef") == 429
        assert submit("SG_0123456789abcdef") == 200
        assert submit("SG_broke") == 406
        assert submit("SG_unlisted") == 401


def test_no_config_keeps_the_defaults() -> None:
    assert settings_from({}) == Emulator().settings


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sed = 7", "config: unknown key 'sed' (did you mean 'seed'?)"),
        (
            "[[chaos]]\nscenario = 'rate-limited'\nprobabilty = 0.1",
            "chaos[0]: unknown key 'probabilty' (did you mean 'probability'?)",
        ),
        ("[webhooks]\nattempt = 3", "webhooks: unknown key 'attempt' (did you mean 'attempts'?)"),
        (
            "[[accounts]]\nprovider = 'segmind'\nkey = 'k'\nbalanse = 1",
            "accounts[0]: unknown key 'balanse' (did you mean 'balance'?)",
        ),
        ("[limits.apikley]\nconcurent = 1", "limits for apikley: unknown key(s) concurent"),
        ("profile = 'warp'", "warp"),
        ("seed = 'seven'", "seed must be an integer, got 'seven'"),
        ("chaos = 3", "chaos must be an array of tables ([[chaos]])"),
        ("[[accounts]]\nkey = 'k'", "every account needs a provider and a key"),
        ("[[latency]]\nkind = 'gaussian'", "latency[0]: latency kind must be one of"),
        ("seed = ", "not valid TOML"),
        ("[durations.segmind]\nrealistic = [1]", "durations.segmind.realistic: 2 non-negative"),
        ("[durations.segmind]\nslow = [1, 2]", "profiles with durations are fast and realistic"),
        ("[retention.apikley]\nrecord = 5", "retention.apikley: unknown key(s) record"),
        ("[prices.segmnd]\nx = 1", "prices: unknown provider(s) segmnd; known: segmind"),
        ("[variants]\nxai = 'old'", "variants: xai has no variant 'old'; known: legacy"),
    ],
)
def test_config_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "grok-mock.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[[chaos]]\nscenario = 'rate-limited'\nprobability = 1.5",
            "chaos probability for 'rate-limited' must be between 0 and 1, got 1.5",
        ),
        ("[[rules]]\nscenario = 'solar-flare'", "scenario 'solar-flare' is not available"),
        (
            "[[rules]]\nscenario = 'rate-limited'\nprovider = 'acme'",
            "provider 'acme' is not served",
        ),
    ],
)
def test_mistakes_found_when_the_emulator_is_built(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "grok-mock.toml"
    path.write_text(text)
    with pytest.raises(MockUsageError) as refused:
        Emulator(load_config(path))
    assert message in str(refused.value)


def test_a_missing_file_is_named() -> None:
    with pytest.raises(ConfigError, match=r"config file 'nope\.toml' does not exist"):
        load_config("nope.toml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sed = 7", "unknown key 'sed' (did you mean 'seed'?)"),
        ("[[chaos]]\nscenario = 'rate-limited'\nprobability = 2", "must be between 0 and 1"),
    ],
)
@pytest.mark.slow
def test_the_server_refuses_to_start_half_configured(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--port", "0", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stdout == ""  # nothing was served, so nothing was announced
    assert message in result.stderr
