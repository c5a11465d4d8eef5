"""Request bodies, read as strictly as the providers' own parsers read them.

JSON has no NaN or Infinity, no numbers past float range, no lone UTF-16
surrogates, and nests at most 128 levels (serde_json's default limit, which
xAI's Rust parser has); anything else is the provider's malformed-body
refusal, naming what was wrong. Multipart fields are read as their
parameter's type where they can be, so validation reports the real problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.types import Receive

from mockserver.engine import Refusal

# serde_json's default recursion limit: deeper bodies are refused, not recursed into.
MAX_DEPTH = 128
_SURROGATE = "holds a lone UTF-16 surrogate, which is not valid Unicode"
# A surrogate escaped (\uD800 to \uDFFF), or encoded as UTF-8 would (ED A0-BF: not UTF-8 at
# all, but `surrogatepass` decodes it so the refusal can name the field it is in).
_MAYBE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")
_NOT_NUMBERS = ("nan", "+nan", "-nan")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value (JSON has no NaN or Infinity)")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def parse_json(raw: bytes) -> Any:
    """Strict JSON, or the malformed-body refusal saying where it went wrong."""
    # What json.loads does with bytes, with a decoder built once instead of per call; a
    # body opening with "{" and no NUL after it is UTF-8 (no BOM, no UTF-16 or UTF-32).
    plain = raw[:1] == b"{" and raw[1:2] != b"\x00"
    try:
        text = raw.decode("utf-8" if plain else json.detect_encoding(raw), "surrogatepass")
        body = _object(text) if plain else _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise Refusal(
            "malformed-body", f"Request body is not valid JSON: {exc.msg} ({where})"
        ) from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Refusal("malformed-body", f"Request body is not valid JSON: {exc}") from None
    # Each level opens with a "{" or "[", a byte in every encoding JSON allows: a body with
    # fewer of them than the limit cannot be too deep, and is not walked.
    if raw.count(b"{") + raw.count(b"[") > MAX_DEPTH and _deeper_than(body, MAX_DEPTH):
        raise Refusal(
            "malformed-body",
            f"Request body is not valid JSON: nested more than {MAX_DEPTH} levels deep",
        )
    if _MAYBE_SURROGATE.search(raw):
        check_unicode(body, prefix="Request body is not valid JSON: ")
    return body


_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite)
# The decoder's C scanner (typeshed does not declare the attribute).
_SCAN: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]
_JSON_SPACE = " \t\n\r"


def _object(text: str) -> Any:
    """What `_DECODER.decode` makes of a body opening with "{", at half the cost: its C
    scanner called directly (there is no leading space to skip); whatever it does not take
    whole goes through `decode` again, for decode's own error."""
    try:
        body, end = _SCAN(text, 0)
    except StopIteration:
        return _DECODER.decode(text)
    if end != len(text) and text[end:].strip(_JSON_SPACE):
        return _DECODER.decode(text)  # something after the object: "Extra data"
    return body


def check_unicode(body: Any, prefix: str = "") -> None:
    """Refuse a body holding a lone surrogate, naming the field it is in."""
    found = _surrogate_in(body)
    if found is not None:
        raise Refusal("malformed-body", f"{prefix}'{found}' {_SURROGATE}")


def _deeper_than(body: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels (without recursing)."""
    stack = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (list, dict)):
            if depth > limit:
                return True
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items if isinstance(item, (list, dict)))
    return False


def _surrogate_in(value: Any, path: str = "") -> str | None:
    """The path of the first string (or key) holding a lone surrogate, if any."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "(the body)"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            found = _surrogate_in(key, where) or _surrogate_in(item, where)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _surrogate_in(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def form_value(value: str, kind: str | None) -> Any:
    """A multipart field as its parameter's type, where it reads as one."""
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return _finite(value) if value.strip().lower() not in _NOT_NUMBERS else value
    except ValueError:
        return value
    if kind == "boolean" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


async def read_body(receive: Receive, limit: int, refuse: Callable[[int], Exception]) -> bytes:
    """The whole body, from its ASGI messages as they come (what Starlette's `stream()`
    reads, for a third of the cost); `refuse(size)` is raised once more than `limit`
    bytes have come, so a body with no declared size is bounded too."""
    chunks = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        more = message.get("more_body", False)
        size += len(chunk)
        if size > limit:
            raise refuse(size)
        chunks.append(chunk)
    return b"".join(chunks)


def too_large(size: int, limit: int) -> str:
    return f"Request body is {size} bytes; the limit is {limit} bytes"
