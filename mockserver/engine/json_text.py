"""Compact JSON in UTF-8, written as fast as this Python can.

orjson writes it where it is installed (a wheel on every common CPython platform): a
small answer in a tenth of the time. The standard library's C encoder writes the rest,
built once: `json.dumps` with options, and `JSONEncoder.encode` itself, build a new one
on every call, a third of the cost of a small body.

What is held beyond the answer (a job's request) is written by `held_json_bytes`: orjson
writes into a buffer of at least 4 KiB (up to eight times the text for long strings), and
the bytes it answers keep all of it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

_fast_json: Callable[[Any], bytes] | None
try:
    from orjson import dumps as _fast_json
except ImportError:  # no wheel for this platform: the standard library's encoder
    _fast_json = None


def json_bytes(value: Any) -> bytes:
    """Standard compact JSON in UTF-8, never NaN; text that cannot be UTF-8 (a lone
    surrogate) is written as a \\u escape instead, which is still valid JSON.

    What orjson does not take (lone surrogates, integers past 64 bits, keys that are not
    strings) the standard encoder writes, with the same text. The two differ only in
    exponents (`1e-7` against `1e-07`, the same number) and a NaN, which orjson writes as
    null and the standard encoder refuses; no body holds one (no input can carry it).
    """
    if _fast_json is not None:
        try:
            return _fast_json(value)
        except TypeError:
            pass
    try:
        return _UTF8(value).encode()
    except UnicodeEncodeError:
        return _ASCII(value).encode()


def held_json_bytes(value: Any) -> bytes:
    """`json_bytes(value)` in bytes of their own size, for what is kept: a job's 60
    bytes of request held in orjson's 4 KiB buffer made every job held 4.9 KB."""
    data = json_bytes(value)
    # A copy: the text is UTF-8 (see above), and slicing the whole gives the same object.
    return data.decode().encode() if _fast_json is not None else data


def _compact(*, ensure_ascii: bool) -> Callable[[Any], str]:
    """The standard library's C encoder (where this Python has it), built once, without
    the circular-reference check: what it writes is built here or parsed from JSON."""
    options = json.JSONEncoder(ensure_ascii=ensure_ascii, allow_nan=False, separators=(",", ":"))
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return options.encode
    text = json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
    encode = make(None, options.default, text, None, ":", ",", False, False, False)

    def compact(value: Any) -> str:
        return "".join(encode(value, 0))

    return compact


_UTF8 = _compact(ensure_ascii=False)
_ASCII = _compact(ensure_ascii=True)
