"""The OpenAPI export: valid documents, served and printed, true to the contracts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from starlette.testclient import TestClient

from contracts import CONTRACTS
from contracts.openapi import openapi_document


@pytest.mark.parametrize("provider", list(CONTRACTS))
def test_each_document_is_valid_openapi_3_1(provider: str) -> None:
    document = openapi_document(CONTRACTS[provider], f"http://127.0.0.1:8000/{provider}")
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["servers"][0]["url"] == f"http://127.0.0.1:8000/{provider}"
    hosts = [s["url"] for s in document["servers"][1:]]
    assert hosts == [f"https://{h}" for h in CONTRACTS[provider].hosts]


def test_a_model_in_the_path_becomes_one_path_per_model() -> None:
    paths = openapi_document(CONTRACTS["segmind"])["paths"]
    image = paths["/v1/grok-imagine-image"]["post"]
    quality = paths["/v1/grok-imagine-image-quality"]["post"]
    assert set(image["responses"]["200"]["content"]) == {"image/jpeg", "image/png", "image/webp"}
    assert list(quality["responses"]["200"]["content"]) == ["application/json"]
    body = image["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["prompt"]
    assert body["properties"]["n"]["maximum"] == 4
    assert (
        "mode" not in quality["requestBody"]["content"]["application/json"]["schema"]["properties"]
    )


def test_errors_are_in_each_providers_own_shape() -> None:
    segmind = openapi_document(CONTRACTS["segmind"])["paths"]["/v2/grok-imagine-image"]["post"]
    credits = segmind["responses"]["406"]["content"]["application/json"]["schema"]
    assert credits["properties"] == {"error": {"type": "string"}}
    kie = openapi_document(CONTRACTS["apikley"])["paths"]["/api/v1/jobs/createTask"]["post"]
    at_200 = kie["responses"]["200"]["content"]["application/json"]["schema"]["anyOf"]
    codes = {s["properties"]["code"].get("const") for s in at_200}
    assert {200, 402, 422, 455, 505} <= codes  # Kie's codes ride on HTTP 200
    variants = kie["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert {v["properties"]["model"]["const"] for v in variants} >= {"grok-imagine/text-to-image"}


def test_webhooks_and_their_signature_headers_are_documented() -> None:
    kie = openapi_document(CONTRACTS["apikley"])
    callback = kie["webhooks"]["callback"]["post"]
    assert {p["name"] for p in callback["parameters"]} == {
        "X-Webhook-Timestamp",
        "X-Webhook-Signature",
    }
    assert "webhooks" in openapi_document(CONTRACTS["pixazo"])
    assert "webhooks" not in openapi_document(CONTRACTS["xai"])


def test_every_element_says_where_it_comes_from() -> None:
    for provider, contract in CONTRACTS.items():
        for item in openapi_document(contract)["paths"].values():
            for operation in item.values():
                assert operation["x-source"] in ("documented", "facts", "inferred"), provider


def test_the_admin_api_serves_them_with_itself_as_first_server(client: TestClient) -> None:
    served = client.get("/__mock/openapi/pixazo.json")
    assert served.status_code == 200
    document = served.json()
    validate(document)
    assert document["servers"][0]["url"] == "http://testserver/pixazo"
    assert client.get("/__mock/openapi/acme.json").status_code == 400


@pytest.mark.slow
def test_the_cli_prints_or_writes_a_document(tmp_path: Path) -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "mockserver", "openapi", "xai", "--server", "http://mock:9/xai"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert printed.returncode == 0
    document = json.loads(printed.stdout)
    validate(document)
    assert document["servers"][0]["url"] == "http://mock:9/xai"
    target = tmp_path / "segmind.json"
    written = subprocess.run(
        [sys.executable, "-m", "mockserver", "openapi", "segmind", "-o", str(target)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (written.returncode, written.stdout) == (0, "")
    assert json.loads(target.read_text())["servers"][0]["url"] == "http://127.0.0.1:8000/segmind"
    unknown = subprocess.run(
        [sys.executable, "-m", "mockserver", "openapi", "acme"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert unknown.returncode == 2
    assert "unknown provider 'acme'" in unknown.stderr
