"""The journal: every request the emulator served, in a bounded ring.

Bounded twice over: the ring keeps `journal_size` entries, and each entry
(`journal_entry.JournalEntry`) keeps a bounded copy of its headers and body.
Readers get copies, so a query never races a request being journaled.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from mockserver.engine.errors import JournalMismatch
from mockserver.engine.journal_entry import SECRET_HEADERS as SECRET_HEADERS
from mockserver.engine.journal_entry import TRUNCATED as TRUNCATED
from mockserver.engine.journal_entry import JournalEntry as JournalEntry
from mockserver.engine.journal_entry import account_id as account_id
from mockserver.engine.journal_entry import bounded as bounded
from mockserver.engine.journal_entry import describe as describe
from mockserver.engine.journal_entry import key_fingerprint as key_fingerprint
from mockserver.engine.journal_entry import key_hint as key_hint
from mockserver.engine.journal_entry import masked as masked
from mockserver.engine.journal_entry import redact_headers as redact_headers
from mockserver.engine.journal_entry import summarize as summarize
from mockserver.engine.journal_entry import trace_id as trace_id

# What a journal query can filter on.
FILTERS = ("provider", "operation", "method", "status", "scenario", "job_id", "key")


def _differences(entry: JournalEntry, wanted: dict[str, Any]) -> list[str]:
    out = []
    for name, value in wanted.items():
        if name == "key":
            if entry.key_fingerprint != key_fingerprint(value):
                out.append(f"key {entry.key_hint or 'none'} (wanted {key_hint(value)})")
        elif name == "operation" and value == f"{entry.provider}.{entry.operation}":
            continue  # as the journal prints it: segmind.v2.submit
        elif getattr(entry, name) != value:
            out.append(f"{name} {getattr(entry, name)!r} (wanted {value!r})")
    return out


class SharedLog(Protocol):
    """Where a journal shared by several processes keeps its entries (bounded)."""

    def append(self, entry: JournalEntry, keep: int) -> int:
        """Keep the entry (and the `keep` latest); answers its sequence number (1, 2,
        ... across processes)."""
        ...

    def entries(self) -> list[JournalEntry]:
        """The entries kept, oldest first."""
        ...

    def clear(self) -> None: ...

    def __len__(self) -> int: ...


class Journal:
    def __init__(self, size: int = 1000, shared: SharedLog | None = None) -> None:
        """`shared`: entries kept where other processes journal too (this process's
        deque otherwise)."""
        if size < 1:
            raise ValueError(f"journal size must be at least 1, got {size}")
        self._entries: deque[JournalEntry] = deque(maxlen=size)
        self._shared = shared
        self._seq = 0
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return self._entries.maxlen or 0

    def record(self, entry: JournalEntry) -> None:
        if self._shared is not None:
            entry.seq = self._shared.append(entry, self.size)
            return
        with self._lock:
            self._seq += 1
            entry.seq = self._seq
            self._entries.append(entry)

    def _snapshot(self) -> list[JournalEntry]:
        if self._shared is not None:
            return self._shared.entries()
        with self._lock:
            return list(self._entries)

    def query(self, *, limit: int | None = None, **filters: Any) -> list[JournalEntry]:
        """Entries matching every filter: provider, operation, method, status, scenario,
        job_id, key (the API key itself; only a fingerprint is stored)."""
        wanted = _wanted(filters)
        found = [e for e in self._snapshot() if not _differences(e, wanted)]
        return found[-limit:] if limit else found

    def verify(
        self,
        count: int | None = None,
        *,
        at_least: int | None = None,
        at_most: int | None = None,
        **filters: Any,
    ) -> list[JournalEntry]:
        """Assert how many requests match; on failure, show the closest ones that did not.

        With no count or bound, at least one must match.
        """
        wanted = _wanted(filters)
        entries = self._snapshot()
        found = [e for e in entries if not _differences(e, wanted)]
        if count is None and at_least is None and at_most is None:
            at_least = 1
        ok = (
            (count is None or len(found) == count)
            and (at_least is None or len(found) >= at_least)
            and (at_most is None or len(found) <= at_most)
        )
        if not ok:
            raise JournalMismatch(_explain(entries, found, wanted, count, at_least, at_most))
        return found

    def jsonl(self, entries: Iterable[JournalEntry] | None = None) -> str:
        """Entries as JSON lines, one request per line."""
        rows = self._snapshot() if entries is None else entries
        return "".join(json.dumps(e.to_dict(), default=str) + "\n" for e in rows)

    def count(self, **filters: Any) -> int:
        return len(self.query(**filters))

    def tail(self, count: int = 10) -> list[JournalEntry]:
        return self._snapshot()[-count:]

    def clear(self) -> None:
        if self._shared is not None:
            self._shared.clear()
        with self._lock:
            self._entries.clear()
            self._seq = 0

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self._snapshot())

    def __len__(self) -> int:
        return len(self._shared) if self._shared is not None else len(self._entries)


def _explain(
    entries: list[JournalEntry],
    found: list[JournalEntry],
    wanted: dict[str, Any],
    count: int | None,
    at_least: int | None,
    at_most: int | None,
) -> str:
    bounds = [
        f"exactly {count}" if count is not None else "",
        f"at least {at_least}" if at_least is not None else "",
        f"at most {at_most}" if at_most is not None else "",
    ]
    criteria = (
        ", ".join(f"{k}={key_hint(v) if k == 'key' else v!r}" for k, v in wanted.items())
        or "anything"
    )
    lines = [
        f"expected {' and '.join(b for b in bounds if b)} request(s) matching {criteria}; "
        f"found {len(found)} among {len(entries)} journaled"
    ]
    lines += [f"  matched: {describe(e)}" for e in found[-5:]]
    near = sorted(
        (e for e in entries if _differences(e, wanted)),
        key=lambda e: (len(_differences(e, wanted)), -e.seq),
    )[:5]
    if near:
        lines.append("closest requests that did not match:")
        for entry in near:
            lines.append(f"  {describe(entry)}")
            lines.append(f"      differs in: {'; '.join(_differences(entry, wanted))}")
    return "\n".join(lines)


def _wanted(filters: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(filters) - set(FILTERS))
    if unknown:
        raise TypeError(
            f"unknown journal filter(s) {', '.join(unknown)}; filters: {', '.join(FILTERS)}"
        )
    return {k: v for k, v in filters.items() if v is not None}
