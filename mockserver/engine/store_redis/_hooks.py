"""Webhook deliveries in Redis."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import redis


# KEYS: due zset. ARGV: now, count, lease ms, lease key prefix, holder. Takes up to
# `count` due deliveries nobody holds.
_LEASE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 4 * tonumber(ARGV[2]))
local taken = {}
for _, id in ipairs(due) do
  if #taken >= tonumber(ARGV[2]) then break end
  if redis.call('SET', ARGV[4] .. id, ARGV[5], 'NX', 'PX', ARGV[3]) then
    table.insert(taken, id)
  end
end
return taken
"""


class RedisHooks:
    """Webhook deliveries in Redis: a hash each, a sorted set of due times on the
    emulator clock, and a lease key each (real-time expiry) while a process sends one."""

    def __init__(self, client: redis.Redis, namespace: str = "grok-mock") -> None:
        self._redis = client
        prefix = f"{namespace}:hooks:"
        self._hook, self._due, self._byjob = prefix + "hook:", prefix + "due", prefix + "byjob"
        self._held, self._next = prefix + "lease:", prefix + "next"
        self._holder = secrets.token_hex(8)
        self._lease = client.register_script(_LEASE)

    def number(self) -> int:
        return int(self._redis.incr(self._next))

    def save(self, delivery_id: str, spec: Mapping[str, Any]) -> None:
        with self._redis.pipeline() as pipe:
            pipe.hset(self._hook + delivery_id, mapping={"spec": json.dumps(dict(spec))})
            pipe.hset(self._byjob, spec["job_id"], delivery_id)
            pipe.execute()

    def spec(self, delivery_id: str) -> dict[str, Any] | None:
        raw = self._redis.hget(self._hook + delivery_id, "spec")
        if not isinstance(raw, bytes):
            return None
        found: dict[str, Any] = json.loads(raw)
        attempts = self._redis.hget(self._hook + delivery_id, "attempts")
        found["attempts"] = json.loads(attempts) if isinstance(attempts, bytes) else []
        return found

    def for_job(self, job_id: str) -> str | None:
        found = self._redis.hget(self._byjob, job_id)
        return found.decode() if isinstance(found, bytes) else None

    def schedule(self, delivery_id: str, due_at: float) -> None:
        with self._redis.pipeline() as pipe:
            pipe.zadd(self._due, {delivery_id: due_at})
            pipe.delete(self._held + delivery_id)
            pipe.execute()

    def lease(self, now: float, count: int, seconds: float) -> list[str]:
        if count <= 0:
            return []
        args: list[str | int] = [repr(now), count, int(seconds * 1000), self._held, self._holder]
        return [i.decode() for i in self._lease(keys=[self._due], args=args)]

    def record(self, delivery_id: str, attempts: list[dict[str, Any]], state: str) -> None:
        with self._redis.pipeline() as pipe:
            pipe.hset(
                self._hook + delivery_id, mapping={"attempts": json.dumps(attempts), "state": state}
            )
            if state in ("delivered", "failed", "refused", "dropped"):
                pipe.zrem(self._due, delivery_id)
                pipe.delete(self._held + delivery_id)
            pipe.execute()

    def counts(self, now: float) -> tuple[int, int]:
        with self._redis.pipeline() as pipe:
            pipe.zcount(self._due, f"({now!r}", "+inf")
            pipe.zcount(self._due, "-inf", repr(now))
            later, due = pipe.execute()
        return int(later), int(due)

    def clear(self) -> None:
        names = list(self._redis.scan_iter(match=self._hook + "*", count=1000))
        names += list(self._redis.scan_iter(match=self._held + "*", count=1000))
        self._redis.delete(self._due, self._byjob, self._next, *names)
