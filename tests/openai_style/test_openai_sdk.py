"""The official openai SDK, sync and async, against the xAI and agtcloud surfaces."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import re
import shutil
import subprocess

import pytest
import requests
from openai import (
    AsyncOpenAI,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    OpenAI,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from PIL import Image

from mockserver import Emulator, LiveServer
from tests.conftest import decode

PROVIDERS = ["xai", "agtcloud"]


def client(live: LiveServer, provider: str, key: str = "xai-test-key") -> OpenAI:
    return OpenAI(api_key=key, base_url=live.url(provider) + "/v1", max_retries=0)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_sdk_generates_urls_at_the_documented_size(live: LiveServer, provider: str) -> None:
    result = client(live, provider).images.generate(
        model="grok-imagine-image",
        prompt="A cat in a tree",
        n=2,
        response_format="url",
        extra_body={"aspect_ratio": "16:9", "resolution": "2k"},
    )
    assert len(result.data or []) == 2
    for item in result.data or []:
        assert item.url is not None
        image = decode(requests.get(item.url).content)
        assert (image.format, image.size) == ("JPEG", (2816, 1536))
    assert result.usage is not None
    raw = requests.post(
        live.url(provider) + "/v1/images/generations",
        json={"model": "grok-imagine-image", "prompt": "x", "n": 3},
        headers={"Authorization": "Bearer k"},
    ).json()
    assert raw["usage"] == {"cost_in_usd_ticks": 600000000}
    assert all(item["mime_type"] == "image/jpeg" for item in raw["data"])


@pytest.mark.parametrize("provider", PROVIDERS)
def test_sdk_b64_json_decodes(live: LiveServer, provider: str) -> None:
    result = client(live, provider).images.generate(
        model="grok-imagine-image-quality",
        prompt="A cat in a tree",
        response_format="b64_json",
        extra_body={"aspect_ratio": "9:16"},
    )
    (item,) = result.data or []
    assert item.b64_json is not None
    image = decode(base64.b64decode(item.b64_json))
    assert (image.format, image.size) == ("JPEG", (768, 1408))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_async_sdk(live: LiveServer, provider: str) -> None:
    async def main() -> list[bytes]:
        sdk = AsyncOpenAI(api_key="k", base_url=live.url(provider) + "/v1", max_retries=0)
        results = await asyncio.gather(
            sdk.images.generate(model="grok-imagine-image", prompt="a", response_format="b64_json"),
            sdk.images.generate(
                model="grok-imagine-image", prompt="b", extra_body={"aspect_ratio": "3:2"}
            ),
        )
        await sdk.close()
        first = base64.b64decode((results[0].data or [])[0].b64_json or "")
        second = requests.get((results[1].data or [])[0].url or "").content
        return [first, second]

    first, second = asyncio.run(main())
    assert decode(first).size == (1024, 1024)
    assert decode(second).size == (1296, 864)


def test_xai_errors_reach_the_sdk_as_its_exceptions(live: LiveServer, emulator: Emulator) -> None:
    sdk = client(live, "xai")
    cases = [
        ("unauthorized", BadRequestError),  # a bad key is 400 on xAI, as captured
        ("insufficient-credits", PermissionDeniedError),
        ("rate-limited", RateLimitError),
        ("server-error", InternalServerError),
        ("bad-gateway", InternalServerError),
        ("gateway-timeout", InternalServerError),
    ]
    for scenario, error in cases:
        with pytest.raises(error) as raised:
            sdk.images.generate(model="grok-imagine-image", prompt=f"x [mock:{scenario}]")
        assert isinstance(raised.value.body, str)  # xAI's flat envelope: "error" is the text
    with pytest.raises(UnprocessableEntityError):
        sdk.images.generate(
            model="grok-imagine-image", prompt="x", extra_body={"aspect_ratio": "7:5"}
        )
    with pytest.raises(NotFoundError):
        sdk.images.generate(model="grok-imagine-nope", prompt="x")


def test_agtcloud_errors_are_new_apis(live: LiveServer, emulator: Emulator) -> None:
    sdk = client(live, "agtcloud")
    with pytest.raises(AuthenticationError) as raised:
        sdk.images.generate(model="grok-imagine-image", prompt="x [mock:unauthorized]")
    assert raised.value.type == "new_api_error"
    said = raised.value.body
    assert isinstance(said, dict)
    assert re.fullmatch(r"无效的令牌 \(request id: \d{14}[0-9a-f]{8}\)", said["message"])
    emulator.set_balance("agtcloud", "xai-test-key", "0.01")
    retried = len(emulator.journal.query(provider="agtcloud"))
    patient = OpenAI(api_key="xai-test-key", base_url=live.url("agtcloud") + "/v1")
    with pytest.raises(PermissionDeniedError) as quota:  # a 403: the SDK does not retry it
        patient.images.generate(model="grok-imagine-image", prompt="x")
    assert len(emulator.journal.query(provider="agtcloud")) == retried + 1
    assert (quota.value.code, quota.value.type) == ("insufficient_user_quota", "new_api_error")
    assert quota.value.message.startswith(
        "Error code: 403 - image pre-consumed quota failed, user quota: \uff040.01, "
        "need quota: \uff040.02 (request id: "
    )
    with pytest.raises(BadRequestError) as bad:
        sdk.images.generate(model="grok-imagine-image", prompt="x", n=11)
    assert bad.value.param == "n"
    assert "'n' must be between 1 and 10, got 11" in bad.value.message


def _page_generate_image(
    api_base: str, api_key: str, prompt: str, n: int = 1, response_format: str = "url"
) -> object:
    """The agtcloud page's Python example, verbatim but for API_BASE and API_KEY."""
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    body = {
        "prompt": prompt,
        "model": "grok-imagine-image-pro",  # Options: grok-imagine-image-pro, grok-imagine-image
        "response_format": response_format,
        "n": n,
    }
    resp = requests.post(
        f"{api_base}/v1/images/generations", headers=headers, json=body, timeout=30
    )
    if not resp.ok:
        try:
            err = resp.json()
        except Exception:
            err = resp.text
        print(f"[{resp.status_code}] {err}")
    resp.raise_for_status()
    return resp.json()


def test_the_pages_generate_image_function(live: LiveServer) -> None:
    res = _page_generate_image(live.url("agtcloud"), "my-agtcloud-key", "A cat in a tree", n=2)
    assert isinstance(res, dict)
    assert len(res["data"]) == 2
    image = decode(requests.get(res["data"][0]["url"]).content)
    assert image.size == (1024, 1024)
    b64 = _page_generate_image(live.url("agtcloud"), "k", "A cat", response_format="b64_json")
    assert isinstance(b64, dict)
    decode(base64.b64decode(b64["data"][0]["b64_json"]))


PAGE_CURLS = [
    """curl https://api-cs-al.naci-tech.com/v1/images/generations \\
-H "Content-Type: application/json" \\
-H "Authorization: Bearer $API_KEY" \\
-d '{
"model": "grok-imagine-image-pro",
"prompt": "A cat in a tree",
"n": 1,
"response_format": "url"
}'""",
    """curl https://api-cs-al.naci-tech.com/v1/images/generations \\
-H "Content-Type: application/json" \\
-H "Authorization: Bearer $API_KEY" \\
-d '{
"model": "grok-imagine-image",
"prompt": "A cat in a tree",
"n": 2,
"response_format": "url"
}'""",
    """curl https://api-cs-al.naci-tech.com/v1/images/generations \\
-H "Content-Type: application/json" \\
-H "Authorization: Bearer $API_KEY" \\
-d '{
"model": "grok-imagine-image-pro",
"prompt": "A cat in a tree",
"response_format": "b64_json"
}'""",
    """curl https://api-cs-al.naci-tech.com/v1/images/generations \\
-H "Content-Type: application/json" \\
-H "Authorization: Bearer $API_KEY" \\
-d '{
"model": "grok-imagine-image",
"prompt": "Mountain landscape at sunrise",
"aspect_ratio": "16:9"
}'""",
    """curl https://api-cs-al.naci-tech.com/v1/images/generations \\
-H "Content-Type: application/json" \\
-H "Authorization: Bearer $API_KEY" \\
-d '{
"model": "grok-imagine-image",
"prompt": "Mountain landscape at sunrise",
"resolution": "2k"
}'""",
]
EXPECTED = [
    (1, (1024, 1024)),
    (2, (1024, 1024)),
    (1, (1024, 1024)),
    (1, (1408, 768)),
    (1, (2048, 2048)),
]


@pytest.mark.skipif(shutil.which("curl") is None, reason="the page's examples are curl commands")
@pytest.mark.parametrize(("command", "expected"), list(zip(PAGE_CURLS, EXPECTED, strict=True)))
@pytest.mark.slow
def test_the_pages_curl_examples(
    live: LiveServer, command: str, expected: tuple[int, tuple[int, int]]
) -> None:
    script = command.replace("https://api-cs-al.naci-tech.com", live.url("agtcloud"))
    result = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "API_KEY": "my-agtcloud-key"},
    )
    import json

    body = json.loads(result.stdout)
    count, size = expected
    assert len(body["data"]) == count
    item = body["data"][0]
    data = (
        base64.b64decode(item["b64_json"])
        if "b64_json" in item
        else requests.get(item["url"]).content
    )
    assert Image.open(io.BytesIO(data)).size == size
