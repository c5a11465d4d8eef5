"""The journal in Redis."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from mockserver.engine.journal import JournalEntry

if TYPE_CHECKING:
    import redis

# KEYS: the stream, the sequence counter. ARGV: the entry (JSON), entries to keep.
_APPEND = """
local seq = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[2], '*', 'seq', seq, 'entry', ARGV[1])
return seq
"""


class RedisLog:
    """The journal as a capped Redis stream: every process appends, numbered in one
    sequence; the oldest entries go once `keep` is reached, as the deque's do."""

    def __init__(self, client: redis.Redis, namespace: str = "grok-mock") -> None:
        self._redis = client
        self._stream = f"{namespace}:journal"
        self._seq = f"{namespace}:journal:seq"
        self._append = client.register_script(_APPEND)

    def append(self, entry: JournalEntry, keep: int) -> int:
        return int(self._append(keys=[self._stream, self._seq], args=[entry.to_json(), keep]))

    def entries(self) -> list[JournalEntry]:
        found = []
        kept: list[tuple[bytes, dict[bytes, bytes]]] = self._redis.xrange(self._stream)  # type: ignore[assignment]
        for _, fields in kept:
            entry = JournalEntry(**json.loads(fields[b"entry"]))
            entry.seq = int(fields[b"seq"])
            found.append(entry)
        return found

    def clear(self) -> None:
        self._redis.delete(self._stream, self._seq)

    def __len__(self) -> int:
        return int(self._redis.xlen(self._stream))
