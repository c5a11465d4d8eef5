"""What the journal keeps of one request, and how it keeps it bounded and secret-free.

Each entry keeps at most `journal_body_bytes` of its body and `journal_header_bytes` of its
headers; past that, the size and a SHA-256 digest of what was dropped. API keys show as
hints (`sk-l...89`) and fingerprints, never whole.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

SECRET_HEADERS = frozenset(
    {"authorization", "x-api-key", "ocp-apim-subscription-key", "cookie", "x-admin-token"}
)
_STRING_LIMIT = 160
_ITEMS_LIMIT = 20
_HEADER_VALUE_LIMIT = 1024
TRUNCATED = "_mock_truncated"


def key_hint(key: str | None) -> str | None:
    """A recognisable but non-secret stand-in for an API key."""
    if not key:
        return None
    if len(key) <= 8:
        return key[:2] + "***"
    return f"{key[:4]}...{key[-2:]}"


def masked(key: str | None, first: int, last: int) -> str:
    """A key as a provider's own message shows it: xAI's "ba***na" is (2, 2)."""
    if not key or len(key) <= first + last:
        return "***"
    return f"{key[:first]}***{key[-last:] if last else ''}"


def account_id(provider: str, key: str | None) -> str:
    """The id a provider's messages give the account behind `key` (xAI names the team):
    a UUID that is the same for the same key in every run."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"grok-imagine-mock:{provider}:{key or ''}"))


def trace_id(now: float, noise: str) -> str:
    """A gateway's request id as New API writes it: the UTC time to the second, then
    random characters ("20261129101500" + "a1b2c3d4")."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(now)) + noise


def key_fingerprint(key: str | None) -> str | None:
    """A stable handle to filter the journal by key without storing the key."""
    if not key:
        return None
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def redact_headers(headers: Iterable[tuple[str, str]], limit: int | None = None) -> dict[str, str]:
    """Headers with secrets replaced by hints; with `limit`, at most that many bytes."""
    out: dict[str, str] = {}
    used = 0
    dropped: list[bytes] = []
    for name, value in headers:
        lower = name.lower()
        value = _redact(value) if lower in SECRET_HEADERS else value
        if len(value) > _HEADER_VALUE_LIMIT:
            value = f"{value[:_HEADER_VALUE_LIMIT]}...(+{len(value) - _HEADER_VALUE_LIMIT} chars)"
        cost = len(lower) + len(value)
        if limit is not None and (dropped or used + cost > limit):
            dropped.append(f"{lower}: {value}".encode("latin-1", "replace"))
            continue
        used += cost
        out[lower] = value
    if dropped:
        rest = b"\n".join(dropped)
        out["..."] = (
            f"{len(dropped)} more header(s) not kept: {len(rest)} bytes, "
            f"sha256 {hashlib.sha256(rest).hexdigest()[:16]}"
        )
    return out


def _redact(value: str) -> str:
    scheme, _, rest = value.partition(" ")
    if rest and scheme.lower() in ("bearer", "basic"):
        return f"{scheme} {key_hint(rest)}"
    return key_hint(value) or ""


def summarize(value: Any, depth: int = 0) -> Any:
    """A bounded copy of a request body: long strings and lists are cut, with a note."""
    if isinstance(value, str):
        if len(value) > _STRING_LIMIT:
            return f"{value[:_STRING_LIMIT]}...(+{len(value) - _STRING_LIMIT} chars)"
        return value
    if depth >= 4:
        return "..."
    if isinstance(value, Mapping):
        return {str(k): summarize(v, depth + 1) for k, v in list(value.items())[:_ITEMS_LIMIT]}
    if isinstance(value, list):
        items = [summarize(v, depth + 1) for v in value[:_ITEMS_LIMIT]]
        if len(value) > _ITEMS_LIMIT:
            items.append(f"...(+{len(value) - _ITEMS_LIMIT} items)")
        return items
    return value


def bounded(value: Any, limit: int, raw: bytes | None = None) -> Any:
    """A body as journaled: summarized, and if still over `limit` bytes of JSON, a note
    with its size and digest (of `raw`, the bytes received, when given) instead."""
    kept = summarize(value)
    text = json.dumps(kept, default=str).encode()
    if len(text) <= limit:
        return kept
    whole = raw if raw is not None else json.dumps(value, default=str).encode()
    return {
        TRUNCATED: True,
        "bytes": len(whole),
        "sha256": hashlib.sha256(whole).hexdigest(),
        "head": text[: max(0, limit - 200)].decode("utf-8", "replace"),
    }


# A request's headers as the server handed them over (ASGI: lower-case names, bytes).
RawHeaders = Iterable[tuple[bytes, bytes]]

_FIELDS = (
    "at",
    "method",
    "path",
    "host",
    "provider",
    "operation",
    "status",
    "request_headers",
    "body",
    "job_id",
    "scenario",
    "scenario_source",
    "key_hint",
    "key_fingerprint",
    "error",
    "warnings",
    "duration_ms",
    "seq",
)


class JournalEntry:
    """One request as the journal keeps it.

    Headers, and a JSON body no bigger than what the journal keeps, stay as received
    until someone reads them, and are redacted and summarized then: the request pays
    for neither, and readers see exactly what an eager copy would have shown.
    """

    __slots__ = (
        "_body",
        "_duration_ms",
        "_fingerprint",
        "_headers",
        "_hint",
        "_key",
        "_raw_body",
        "_raw_headers",
        "at",
        "error",
        "host",
        "job_id",
        "method",
        "operation",
        "path",
        "provider",
        "scenario",
        "scenario_source",
        "seq",
        "status",
        "warnings",
    )

    def __init__(
        self,
        at: float,
        method: str,
        path: str,
        host: str,
        provider: str | None = None,
        operation: str | None = None,
        status: int | None = None,
        request_headers: dict[str, str] | None = None,
        body: Any = None,
        job_id: str | None = None,
        scenario: str | None = None,
        scenario_source: str | None = None,
        key_hint: str | None = None,
        key_fingerprint: str | None = None,
        error: str | None = None,
        warnings: list[str] | None = None,
        duration_ms: float | None = None,
        seq: int = 0,
    ) -> None:
        self.at, self.method, self.path, self.host = at, method, path, host
        self.provider, self.operation, self.status = provider, operation, status
        self._headers = request_headers if request_headers is not None else {}
        # Kept as received until read: (headers, limit) and (body, parse, limit).
        self._raw_headers: tuple[RawHeaders, int] | None = None
        self._body = body
        self._raw_body: tuple[bytes, Callable[[bytes], Any], int] | None = None
        self.job_id, self.scenario, self.scenario_source = job_id, scenario, scenario_source
        # The API key itself, only until someone reads its hint or fingerprint.
        self._key: str | None = None
        self._hint, self._fingerprint, self.error = key_hint, key_fingerprint, error
        self.warnings = warnings if warnings is not None else []
        self._duration_ms, self.seq = duration_ms, seq

    @property
    def duration_ms(self) -> float | None:
        """How long the request took to be answered, in milliseconds (to the microsecond)."""
        elapsed = self._duration_ms
        return None if elapsed is None else round(elapsed, 3)

    def note_duration(self, elapsed_ms: float) -> None:
        """Journal how long the request took. Kept as measured and rounded when read:
        `round(x, 3)` formats and parses the float again, which cost more than the rest
        of journaling a request. A method, not a property setter: on every request, and
        Python 3.11 calls a method for half of what it takes to run a setter."""
        self._duration_ms = elapsed_ms

    def keep_headers(self, raw: list[tuple[bytes, bytes]], limit: int) -> None:
        """Journal `raw` (at most `limit` bytes of it, secrets as hints): kept as they
        are when they fit, so they are redacted only if someone reads them."""
        size = 0
        for name, value in raw:  # a loop, not sum() over a generator: on every request
            size += len(name) + len(value)
        if size <= limit:
            self._raw_headers = (raw, limit)
        else:  # big: what is kept is bounded now, not the whole block
            self._headers = redact_headers(_decoded(raw), limit)

    def keep_json_body(self, raw: bytes, limit: int, parse: Callable[[bytes], Any]) -> None:
        """Journal a JSON body received as `raw`, as `bounded` would; a small one is
        parsed again and summarized only when read."""
        if len(raw) <= limit:
            self._raw_body, self._body = (raw, parse, limit), None
        else:
            self._body = bounded(parse(raw), limit, raw)

    def note_key(self, key: str | None) -> None:
        """Journal who asked: `key_hint` and `key_fingerprint`, made from `key` when read."""
        self._key, self._hint, self._fingerprint = key, None, None

    @property
    def key_hint(self) -> str | None:
        self._settle_key()
        return self._hint

    @property
    def key_fingerprint(self) -> str | None:
        self._settle_key()
        return self._fingerprint

    def _settle_key(self) -> None:
        key = self._key
        if key is not None:
            self._hint, self._fingerprint, self._key = key_hint(key), key_fingerprint(key), None

    @property
    def request_headers(self) -> dict[str, str]:
        pending = self._raw_headers
        if pending is not None:
            self._headers = redact_headers(_decoded(pending[0]), pending[1])
            self._raw_headers = None
        return self._headers

    @property
    def body(self) -> Any:
        pending = self._raw_body
        if pending is not None:
            raw, parse, limit = pending
            self._body = bounded(parse(raw), limit, raw)
            self._raw_body = None
        return self._body

    @body.setter
    def body(self, body: Any) -> None:
        self._body, self._raw_body = body, None

    def to_dict(self) -> dict[str, Any]:
        return {name: copy.deepcopy(getattr(self, name)) for name in _FIELDS}

    def to_json(self) -> str:
        """The entry as JSON, without its number (what a shared journal stores); no copy
        is made, since nothing is kept but the text."""
        fields = {name: getattr(self, name) for name in _FIELDS if name != "seq"}
        return json.dumps(fields, default=str, separators=(",", ":"))

    def __repr__(self) -> str:
        return f"JournalEntry({describe(self)})"


def _decoded(raw: RawHeaders) -> Iterator[tuple[str, str]]:
    return ((name.decode("latin-1"), value.decode("latin-1")) for name, value in raw)


def describe(entry: JournalEntry) -> str:
    what = f"{entry.provider or '-'}.{entry.operation or '-'}"
    scenario = f" scenario={entry.scenario}" if entry.scenario not in (None, "success") else ""
    return (
        f"#{entry.seq} {entry.method} {entry.host}{entry.path} -> {entry.status} [{what}]{scenario}"
    )
