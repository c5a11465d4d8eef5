"""Hostile requests for every POST operation, drawn from the contracts.

Each case is (label, target, headers, body bytes). The targets are every submit
route of every provider (each model route, each Apikley model), so a new model
or provider is covered without editing this file.
"""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from PIL import Image

from contracts import CONTRACTS, Contract, Operation, Param

JSON = {"content-type": "application/json"}


@dataclass(frozen=True)
class Target:
    provider: str
    operation: str
    path: str
    auth: dict[str, str]
    base: dict[str, Any]
    # Where the model's own parameters sit in the body (Apikley: under "input").
    inner: str | None
    params: tuple[Param, ...]


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (1, 2, 3)).save(buffer, "PNG")
    return buffer.getvalue()


def bomb_png(width: int = 20000, height: int = 20000) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels."""
    data = bytearray(_png(1, 1))
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr : ihdr + 17])) & 0xFFFFFFFF
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    return bytes(data)


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


GOOD_IMAGE = data_uri(_png(48, 32))
HOSTILE_IMAGES = {
    "bomb": data_uri(bomb_png()),
    "truncated-png": data_uri(_png(48, 32)[:40]),
    "gif": data_uri(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"),
    "empty-data-uri": "data:image/png;base64,",
    "not-base64": "data:image/png;base64,@@@@!!!!",
    "data-uri-not-base64": "data:image/png,hello",
    "refused-port": "http://127.0.0.1:1/input.png",
    "metadata-ip": "http://169.254.169.254/latest/meta-data/",
    "file": "file:///etc/passwd",
    "javascript": "javascript:alert(1)",
    "long-url": "http://127.0.0.1:1/" + "a" * 20000,
    "just-too-long-url": "http://127.0.0.1:1/" + "a" * 8200,
    "bare-garbage": "x" * 5000,
}
HOSTILE_VALUES: dict[str, Any] = {
    "null": None,
    "list": [],
    "object": {},
    "true": True,
    "negative": -1,
    "zero": 0,
    "huge-int": 2**70,
    "fraction": 1.5,
    "empty": "",
    "long": "x" * 200_000,
    "unicode": "画像 🖼️ \u202e\u0000",
    "nested": [[[[[[{"a": [1]}]]]]]],
}


def targets() -> list[Target]:
    out = []
    for contract in CONTRACTS.values():
        for operation in contract.operations:
            if operation.kind == "submit" and operation.method == "POST":
                out.extend(_targets(contract, operation))
    return out


def _auth(contract: Contract) -> dict[str, str]:
    auth = contract.auth
    value = f"{auth.scheme} hostile-key" if auth.scheme else "hostile-key"
    return {auth.header: value}


def _targets(contract: Contract, operation: Operation) -> Iterator[Target]:
    prefix, auth = contract.prefix, _auth(contract)
    for model in contract.models.values():
        if operation.model_in == "body" and operation.model_params_at:
            base = {"model": model.id, operation.model_params_at: _valid(model.params)}
            yield Target(
                contract.provider,
                f"{operation.id}:{model.id}",
                prefix + operation.path,
                auth,
                base,
                operation.model_params_at,
                model.params,
            )
        elif operation.model_in in ("path", "route"):
            yield Target(
                contract.provider,
                f"{operation.id}:{model.id}",
                prefix + operation.path_for(model),
                auth,
                _valid(model.params),
                None,
                model.params,
            )
    if operation.model_in == "body" and not operation.model_params_at:
        yield Target(
            contract.provider,
            operation.id,
            prefix + operation.path,
            auth,
            _valid(operation.params),
            None,
            operation.params,
        )


def _valid(params: tuple[Param, ...]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for param in params:
        if param.name == "prompt":
            body["prompt"] = "a hostile test"
        elif param.required and param.type == "array":
            body[param.name] = [GOOD_IMAGE]
        elif param.required and param.type == "string":
            body[param.name] = "task-that-does-not-exist"
    if any(p.name == "image" and p.type == "object" for p in params):
        body["image"] = {"url": GOOD_IMAGE}
    return body


def _with(target: Target, name: str, value: Any) -> dict[str, Any]:
    body = json.loads(json.dumps(target.base))
    (body[target.inner] if target.inner else body)[name] = value
    return body


def _encode(body: Any) -> bytes:
    return json.dumps(body).encode()


def _nested(depth: int) -> Any:
    """Arrays nested `depth` deep, built without recursion."""
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


def wire(headers: dict[str, str]) -> dict[str, str | bytes]:
    """Headers as bytes on the wire: non-ASCII text goes out as raw latin-1 bytes."""
    return {k: v if v.isascii() else v.encode("latin-1", "replace") for k, v in headers.items()}


def cases(target: Target) -> Iterator[tuple[str, dict[str, str], bytes]]:
    headers = {**JSON, **target.auth}
    for label, raw in (
        ("empty", b""),
        ("spaces", b"  \n "),
        ("open-brace", b"{"),
        ("unterminated", b'{"prompt": "x'),
        ("nul", b"\x00\x00"),
        ("random-bytes", bytes(range(256)) * 4),
        ("array", b"[]"),
        ("string", b'"prompt"'),
        ("number", b"1"),
        ("null", b"null"),
        ("deep-arrays", b"[" * 100_000 + b"]" * 100_000),
        ("deep-objects", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
        ("nan", b'{"prompt": "x", "n": NaN, "num_images": NaN}'),
        ("infinity", b'{"prompt": "x", "n": Infinity}'),
        ("minus-infinity", b'{"prompt": -Infinity}'),
        ("overflow-float", b'{"prompt": "x", "n": 1e400}'),
        ("huge-digits", b'{"prompt": "x", "n": ' + b"9" * 5000 + b"}"),
        ("lone-surrogate", b'{"prompt": "a \\ud800 b"}'),
        ("surrogate-key", b'{"\\udfff": 1, "prompt": "x"}'),
        ("duplicate-keys", b'{"prompt": "x", "prompt": null}'),
        ("utf16", json.dumps(target.base).encode("utf-16")),
        ("latin1", '{"prompt": "caf\xe9"}'.encode("latin-1")),
        ("megabyte-prompt", _encode(_with(target, "prompt", "p" * 1_000_000))),
        ("deep-but-parsable", _encode(_with(target, "extra", _nested(600)))),
        ("just-too-deep", _encode(_with(target, "extra", _nested(128)))),
        ("many-keys", _encode({**target.base, **{f"k{i}": i for i in range(100_000)}})),
        ("long-key", _encode({**target.base, "k" * 100_000: 1})),
    ):
        yield label, headers, raw
    for name in [p.name for p in target.params] + ["unknown_field", "model"]:
        for label, value in HOSTILE_VALUES.items():
            yield f"{name}={label}", headers, _encode(_with(target, name, value))
    for label, image in HOSTILE_IMAGES.items():
        for param in target.params:
            if param.format in ("image", "url-or-data") or (
                param.type == "array" and param.items is not None
            ):
                value: Any = [image] if param.type == "array" else image
                yield f"{param.name}:{label}", headers, _encode(_with(target, param.name, value))
            elif param.name == "image" and param.type == "object":
                yield f"image.url:{label}", headers, _encode(_with(target, "image", {"url": image}))
    body = _encode(target.base)
    for label, extra in (
        ("no-content-type", {"content-type": ""}),
        ("text-plain", {"content-type": "text/plain"}),
        ("utf16-charset", {"content-type": "application/json; charset=utf-16"}),
        ("bad-multipart", {"content-type": "multipart/form-data; boundary=zz"}),
        ("multipart-no-boundary", {"content-type": "multipart/form-data"}),
        ("unknown-scenario", {"x-mock-scenario": "../../etc/passwd"}),
        ("scenario-spaces", {"x-mock-scenario": "   "}),
        ("profile-garbage", {"x-mock-profile": "warp-speed"}),
        ("webhook-garbage", {"x-webhook-url": "not a url \u00e9"}),
        ("webhook-metadata", {"x-webhook-url": "http://169.254.169.254/"}),
        ("webhook-long", {"x-webhook-url": "http://127.0.0.1:9/" + "a" * 9000}),
        ("latin1-key", {next(iter(target.auth)): "cl\u00e9"}),
        ("no-key", {next(iter(target.auth)): ""}),
    ):
        yield f"header:{label}", {**headers, **extra}, body
    yield "header:huge", {**headers, "x-huge": "h" * 60_000}, body
