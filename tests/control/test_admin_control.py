"""The admin API's control plane: its OpenAPI document, token guard, chaos and latency."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import httpx
import pytest
from openapi_spec_validator import validate
from starlette.routing import Route
from starlette.testclient import TestClient

from mockserver import Emulator, ManualClock, create_app
from mockserver.admin_openapi import ADMIN_OPENAPI
from tests.test_cli import serve


def test_the_admin_openapi_document_is_valid_and_served(client: TestClient) -> None:
    served = client.get("/__mock/openapi.json")
    assert served.status_code == 200
    document = served.json()
    validate(document)  # raises on any OpenAPI 3.1 violation
    assert document["openapi"].startswith("3.1")


def test_the_admin_openapi_document_covers_every_admin_route(emulator: Emulator) -> None:
    from mockserver.admin import build_admin
    from mockserver.app import MockApp

    (mount,) = build_admin(MockApp(emulator)).routes  # type: ignore[attr-defined]
    routes = [r for r in mount.routes if isinstance(r, Route)]
    assert len(routes) > 10
    documented = {
        (path, method.upper()) for path, item in ADMIN_OPENAPI["paths"].items() for method in item
    }
    served = {
        ("/__mock" + r.path, method) for r in routes for method in (r.methods or set()) - {"HEAD"}
    }
    assert served == documented


def test_chaos_and_latency_over_the_admin_api(client: TestClient, emulator: Emulator) -> None:
    entry = {"provider": "segmind", "scenario": "rate-limited", "probability": 0.25}
    put = client.put("/__mock/chaos", json={"entries": [entry]})
    assert put.json() == {"entries": [{**entry, "operation": None}]}
    assert emulator.director.chaos.entries[0].probability == 0.25
    too_likely = client.put("/__mock/chaos", json={"entries": [{**entry, "probability": 1.2}]})
    assert too_likely.status_code == 400
    assert "must be between 0 and 1, got 1.2" in too_likely.json()["error"]
    unknown = client.put("/__mock/chaos", json={"entries": [{**entry, "scenario": "meteor"}]})
    assert unknown.status_code == 400
    assert "meteor" in unknown.json()["error"]
    assert client.get("/__mock/chaos").json()["entries"][0]["probability"] == 0.25  # unchanged
    assert client.put("/__mock/chaos", json={"entries": "all"}).status_code == 400

    delay = {"kind": "uniform", "low": 0.1, "high": 0.4, "provider": "pixazo"}
    assert client.put("/__mock/latency", json={"entries": [delay]}).status_code == 200
    assert client.get("/__mock/latency").json() == {"entries": [{**delay, "operation": None}]}
    wrong = client.put("/__mock/latency", json={"entries": [{"kind": "fixed", "seconds": -2}]})
    assert wrong.status_code == 400
    assert "fixed latency needs seconds >= 0" in wrong.json()["error"]


def test_a_token_guards_everything_but_health_and_the_document() -> None:
    emulator = Emulator(clock=ManualClock(), admin_token="s3cret")
    with TestClient(create_app(emulator)) as client:
        assert client.get("/__mock/health").status_code == 200
        assert client.get("/__mock/openapi.json").status_code == 200
        refused = client.post("/__mock/reset")
        assert refused.status_code == 401
        assert "X-Admin-Token" in refused.json()["error"]
        assert client.get("/__mock/journal", headers={"X-Admin-Token": "wrong"}).status_code == 401
        assert client.post("/__mock/reset", headers={"X-Admin-Token": "s3cret"}).status_code == 200
        bearer = client.get("/__mock/journal", headers={"Authorization": "Bearer s3cret"})
        assert bearer.status_code == 200
        # The provider surfaces are not the admin API: they keep their own auth.
        served = client.post(
            "/v2/grok-imagine-image",
            json={"prompt": "x"},
            headers={"host": "api.segmind.com", "x-api-key": "k"},
        )
        assert served.status_code == 200


@pytest.mark.slow
def test_beyond_loopback_the_server_makes_and_announces_a_token() -> None:
    with serve("--host", "0.0.0.0") as served:
        assert served.process.stdout is not None
        notice = served.process.stdout.readline()
        token = re.search(r"X-Admin-Token: (\S+)", notice)
        assert token is not None, notice
        port = served.origin.rsplit(":", 1)[1]
        admin = f"http://127.0.0.1:{port}/__mock"
        assert httpx.get(f"{admin}/journal").status_code == 401
        allowed = httpx.get(f"{admin}/journal", headers={"X-Admin-Token": token.group(1)})
        assert allowed.status_code == 200


@pytest.mark.slow
def test_on_loopback_no_token_is_needed() -> None:
    with serve() as served:
        assert "X-Admin-Token" not in served.banner
        assert httpx.get(f"{served.origin}/__mock/journal").status_code == 200


@pytest.mark.slow
def test_a_chosen_token_is_used() -> None:
    with serve("--admin-token", "letmein") as served:
        assert httpx.get(f"{served.origin}/__mock/journal").status_code == 401
        ok = httpx.get(f"{served.origin}/__mock/journal", headers={"X-Admin-Token": "letmein"})
        assert ok.status_code == 200


# -- grok-mock scenarios ---------------------------------------------------------


def _scenarios(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", "scenarios", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_catalogue_lists_every_provider_and_what_it_answers() -> None:
    result = _scenarios()
    assert result.returncode == 0
    for provider in ("segmind", "pixazo", "apikley", "agtcloud", "xai"):
        assert re.search(rf"^{provider} \(", result.stdout, re.MULTILINE)
    # Segmind's insufficient credits is a documented 406 with its own body.
    line = next(
        row
        for row in result.stdout.split("\n\n")[0].splitlines()
        if row.strip().startswith("insufficient-credits")
    )
    assert "  406 `{" in line
    assert "Insufficient credits" in line


def test_the_catalogue_for_one_provider_as_json_matches_the_contract() -> None:
    from contracts import CONTRACTS

    result = _scenarios("--provider", "pixazo", "--format", "json")
    data = json.loads(result.stdout)
    assert list(data) == ["pixazo"]
    by_name = {row["scenario"]: row for row in data["pixazo"]}
    assert (
        str(CONTRACTS["pixazo"].errors["insufficient-credits"].status)
        in by_name["insufficient-credits"]["answer"]
    )
    assert "disconnect" in by_name


def test_the_catalogue_as_markdown_is_a_table() -> None:
    result = _scenarios("--provider", "xai", "--format", "markdown")
    assert result.stdout.startswith("### xai\n\n| scenario | answer | source |")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--provider", "acme"], "unknown provider 'acme'; known: segmind"),
        (["--format", "yaml"], "invalid choice: 'yaml'"),
    ],
)
def test_catalogue_mistakes_are_named(args: list[str], message: str) -> None:
    result = _scenarios(*args)
    assert result.returncode == 2
    assert message in result.stderr


def test_the_catalogue_piped_into_head_ends_quietly() -> None:
    result = subprocess.run(
        f"{sys.executable} -m mockserver scenarios | head -1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.stdout.startswith("segmind (")
    assert result.stderr == ""  # no BrokenPipeError traceback
