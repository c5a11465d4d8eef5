"""The tuned tables in Redis."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import redis


class RedisTunables:
    """The tuned tables as one JSON value and a version; a process looks at the version
    (one round trip, with the clock's offset) and reloads only when it moved."""

    def __init__(self, client: redis.Redis, namespace: str = "grok-mock") -> None:
        self._redis = client
        self._key, self._version = f"{namespace}:tunables", f"{namespace}:tunables:version"

    def save(self, tuned: Mapping[str, Any]) -> None:
        with self._redis.pipeline() as pipe:
            pipe.set(self._key, json.dumps(dict(tuned)))
            pipe.incr(self._version)
            pipe.execute()

    @property
    def version_key(self) -> str:
        return self._version

    def changed(self, seen: int, now: int | None = None) -> tuple[int, dict[str, Any] | None]:
        version = now if now is not None else int(self._redis.get(self._version) or 0)
        if version == seen:
            return version, None
        raw = self._redis.get(self._key)
        return version, json.loads(raw) if isinstance(raw, bytes) else None

    def clear(self) -> None:
        self._redis.delete(self._key, self._version)
