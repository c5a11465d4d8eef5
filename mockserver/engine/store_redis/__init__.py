"""The state store in Redis: several emulator processes share one state.

Every step that must be atomic across processes is one Lua script, so Redis runs it
whole while every other client waits: a hold checks the balance and places the hold
in one step, a settlement removes the open hold and moves the money in one step
(exactly once per job, whichever process asks first), and due jobs are handed out
once each. Keys live under a namespace (`grok-mock:` by default), so two emulators
can share one Redis.

Amounts are kept as integers of 10^-6 (six decimals, the precision providers print)
in hash fields that `HINCRBY` moves exactly; Lua compares them as doubles, exact below
2^53 (9 billion currency units).

Needs the `redis` package (`pip install 'grok-imagine-mock[redis]'`), imported only
when a Redis store is made.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from mockserver.engine.clock import SystemClock, check_step
from mockserver.engine.store import State
from mockserver.engine.store_redis._billing import RedisBilling, connect
from mockserver.engine.store_redis._hooks import RedisHooks
from mockserver.engine.store_redis._jobs import RedisJobs
from mockserver.engine.store_redis._log import RedisLog
from mockserver.engine.store_redis._rules import RedisRules
from mockserver.engine.store_redis._tunables import RedisTunables

if TYPE_CHECKING:
    import redis

__all__ = [
    "RedisBilling",
    "RedisClock",
    "RedisHooks",
    "RedisJobs",
    "RedisLog",
    "RedisNumbers",
    "RedisRules",
    "RedisTunables",
    "connect",
    "open_state",
    "redis_state",
]


def open_state(url: str, namespace: str = "grok-mock") -> tuple[State, RedisClock]:
    """The state and the clock of an emulator kept in the Redis at `url`."""
    client = connect(url)
    clock = RedisClock(client, namespace)
    return redis_state(client, namespace, clock), clock


class RedisClock(SystemClock):
    """Wall time plus an offset kept in Redis: a move made through any process is the
    time in every process from its next request on. The server calls `sync` as each
    request begins (one round trip); readings within the request use that offset."""

    def __init__(self, client: redis.Redis, namespace: str = "grok-mock") -> None:
        super().__init__()
        self._redis = client
        self._key = f"{namespace}:clock:offset"
        self.sync()

    @property
    def key(self) -> str:
        return self._key

    def sync(self) -> None:
        """Take the offset other processes may have moved."""
        self.offset_is(float(self._redis.get(self._key) or 0.0))

    def offset_is(self, offset: float) -> None:
        self._offset = offset

    def reset(self) -> None:
        self._redis.delete(self._key)
        self._offset = 0.0
        self._moved()

    def advance(self, seconds: float) -> None:
        self._offset = float(self._redis.incrbyfloat(self._key, check_step(seconds)))
        self._moved()

    def __repr__(self) -> str:
        return f"RedisClock({self._key!r})"


def redis_state(
    client: redis.Redis, namespace: str = "grok-mock", clock: RedisClock | None = None
) -> State:
    """An emulator's state in Redis under `namespace`, shared with every process using it;
    with the shared `clock`, what a request begins with is read in one round trip."""
    secret_key = f"{namespace}:media:secret"
    client.set(secret_key, secrets.token_hex(32), nx=True)  # the first process makes it
    secret = client.get(secret_key)
    assert isinstance(secret, bytes)
    rules, tunables = RedisRules(client, namespace), RedisTunables(client, namespace)

    def pull() -> int:
        assert clock is not None
        with client.pipeline(transaction=False) as pipe:
            pipe.get(clock.key)
            pipe.hlen(rules.live_key)
            pipe.get(tunables.version_key)
            offset, count, version = pipe.execute()
        clock.offset_is(float(offset or 0.0))
        rules.counted(int(count))
        return int(version or 0)

    return State(
        RedisBilling(client, namespace),
        RedisJobs(client, namespace),
        rules,
        RedisNumbers(client, namespace),
        journal=RedisLog(client, namespace),
        hooks=RedisHooks(client, namespace),
        tunables=tunables,
        shared=True,
        media_secret=secret,
        discard=lambda: _drop(client, namespace),
        pull=pull if clock is not None else None,
    )


def _drop(client: redis.Redis, namespace: str) -> None:
    names = list(client.scan_iter(match=f"{namespace}:*", count=1000))
    if names:
        client.delete(*names)


class RedisNumbers:
    """Named sequences as Redis counters: `INCR` hands each number out once."""

    def __init__(self, client: redis.Redis, namespace: str = "grok-mock") -> None:
        self._redis = client
        self._prefix = f"{namespace}:numbers:"

    def next(self, name: str) -> int:
        return int(self._redis.incr(self._prefix + name))

    def clear(self) -> None:
        names = list(self._redis.scan_iter(match=self._prefix + "*", count=500))
        if names:
            self._redis.delete(*names)
