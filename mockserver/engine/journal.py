"""The journal: every request the emulator served, in a bounded ring."""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

SECRET_HEADERS = frozenset(
    {"authorization", "x-api-key", "ocp-apim-subscription-key", "cookie", "x-admin-token"}
)
_STRING_LIMIT = 160
_ITEMS_LIMIT = 20


def key_hint(key: str | None) -> str | None:
    """A recognisable but non-secret stand-in for an API key."""
    if not key:
        return None
    if len(key) <= 8:
        return key[:2] + "***"
    return f"{key[:4]}...{key[-2:]}"


def key_fingerprint(key: str | None) -> str | None:
    """A stable handle to filter the journal by key without storing the key."""
    if not key:
        return None
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers:
        lower = name.lower()
        out[lower] = _redact(value) if lower in SECRET_HEADERS else value
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


@dataclass(slots=True)
class JournalEntry:
    at: float
    method: str
    path: str
    host: str
    provider: str | None = None
    operation: str | None = None
    status: int | None = None
    request_headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    job_id: str | None = None
    scenario: str | None = None
    scenario_source: str | None = None
    key_hint: str | None = None
    key_fingerprint: str | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    duration_ms: float | None = None
    seq: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Journal:
    def __init__(self, size: int = 1000) -> None:
        if size < 1:
            raise ValueError(f"journal size must be at least 1, got {size}")
        self._entries: deque[JournalEntry] = deque(maxlen=size)
        self._seq = 0

    @property
    def size(self) -> int:
        return self._entries.maxlen or 0

    def record(self, entry: JournalEntry) -> None:
        self._seq += 1
        entry.seq = self._seq
        self._entries.append(entry)

    def query(
        self,
        *,
        provider: str | None = None,
        operation: str | None = None,
        status: int | None = None,
        job_id: str | None = None,
        key: str | None = None,
        limit: int | None = None,
    ) -> list[JournalEntry]:
        fingerprint = key_fingerprint(key)
        found = [
            e
            for e in self._entries
            if (provider is None or e.provider == provider)
            and (operation is None or e.operation == operation)
            and (status is None or e.status == status)
            and (job_id is None or e.job_id == job_id)
            and (fingerprint is None or e.key_fingerprint == fingerprint)
        ]
        return found[-limit:] if limit else found

    def tail(self, count: int = 10) -> list[JournalEntry]:
        return list(self._entries)[-count:]

    def clear(self) -> None:
        self._entries.clear()
        self._seq = 0

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)
