"""Billing in Redis: accounts, holds and settlement as atomic Lua steps."""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any

from mockserver.engine.accounts import HOUR, Account
from mockserver.engine.errors import MockUsageError
from mockserver.engine.store import HoldResult

if TYPE_CHECKING:
    import redis

_MICRO = Decimal("0.000001")
SEP = "\x1f"  # between provider and key in one field: neither ever holds it

# KEYS: account hash, open hash, active hash.
# ARGV: job id, cost, open entry ("cost<US>provider<US>key"), the owner's active field.
# Answers whether the hold was placed (-1: no such account) and the account after it.
_HOLD = """
local balance = tonumber(redis.call('HGET', KEYS[1], 'balance'))
if balance == nil then return {-1, {}} end
local held = tonumber(redis.call('HGET', KEYS[1], 'held') or '0')
if tonumber(ARGV[2]) > balance - held then return {0, redis.call('HGETALL', KEYS[1])} end
redis.call('HINCRBY', KEYS[1], 'held', ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('HINCRBY', KEYS[3], ARGV[4], 1)
return {1, redis.call('HGETALL', KEYS[1])}
"""

# KEYS: open hash, ends zset, active hash. ARGV: job id, charge (0/1), fee, account prefix.
_SETTLE = """
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if not entry then return nil end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local sep = string.find(entry, '\\31', 1, true)
local cost = string.sub(entry, 1, sep - 1)
local owner = string.sub(entry, sep + 1)
redis.call('HINCRBY', KEYS[3], owner, -1)
local account = ARGV[4] .. owner
if redis.call('EXISTS', account) == 0 then return 0 end
redis.call('HINCRBY', account, 'held', '-' .. cost)
if ARGV[2] == '1' then
  redis.call('HINCRBY', account, 'balance', '-' .. cost)
  redis.call('HINCRBY', account, 'spent', cost)
end
local fee = tonumber(ARGV[3])
if fee <= 0 then return 0 end
local available = tonumber(redis.call('HGET', account, 'balance'))
  - tonumber(redis.call('HGET', account, 'held') or '0')
local taken = math.min(fee, math.max(available, 0))
redis.call('HINCRBY', account, 'balance', -taken)
redis.call('HINCRBY', account, 'spent', taken)
return taken
"""

# KEYS: ends zset. ARGV: now. Hands each due job out once.
DUE_SCRIPT = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
return due
"""


def connect(url: str) -> redis.Redis:
    """A client for `redis://HOST:PORT/DB`, checked with a PING (a clear error otherwise)."""
    try:
        import redis
    except ImportError:
        raise MockUsageError(
            "the Redis state store needs the redis package: pip install 'grok-imagine-mock[redis]'"
        ) from None
    try:
        client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        client.ping()
    except (ValueError, redis.RedisError) as exc:
        raise MockUsageError(f"cannot use the Redis state store at {url!r}: {exc}") from None
    return client


def _micro(amount: Decimal) -> int:
    return int(Decimal(amount).quantize(_MICRO, ROUND_HALF_EVEN) * 1_000_000)


def _amount(micro: Any) -> Decimal:
    return (Decimal(int(micro or 0)) / 1_000_000).normalize() if micro else Decimal(0)


class RedisBilling:
    """Billing shared through Redis: the same protocol as `MemoryBilling`."""

    def __init__(self, client: redis.Redis, namespace: str = "grok-mock") -> None:
        self._redis = client
        prefix = f"{namespace}:billing:"
        self._account_prefix = prefix + "account:"
        self._open = prefix + "open"
        self._ends = prefix + "ends"
        self._active = prefix + "active"
        self._created = prefix + "created:"
        self._hold = client.register_script(_HOLD)
        self._settle = client.register_script(_SETTLE)
        self._due = client.register_script(DUE_SCRIPT)

    def _key(self, provider: str, key: str) -> str:
        return f"{self._account_prefix}{provider}{SEP}{key}"

    def _read(self, provider: str, key: str, fields: Mapping[Any, Any]) -> Account | None:
        if b"balance" not in fields:
            return None
        secret = fields.get(b"webhook_key")
        return Account(
            provider,
            key,
            _amount(fields[b"balance"]),
            held=_amount(fields.get(b"held")),
            spent=_amount(fields.get(b"spent")),
            webhook_key=secret.decode() if secret else None,
        )

    def account(self, provider: str, key: str) -> Account | None:
        return self._read(provider, key, self._redis.hgetall(self._key(provider, key)))

    def open_account(
        self, provider: str, key: str, balance: Decimal, webhook_key: str | None = None
    ) -> Account:
        name = self._key(provider, key)
        with self._redis.pipeline() as pipe:  # MULTI: the first one to open it wins
            pipe.hsetnx(name, "balance", _micro(balance))
            if webhook_key:
                pipe.hsetnx(name, "webhook_key", webhook_key)
            pipe.hgetall(name)
            fields = pipe.execute()[-1]
        found = self._read(provider, key, fields)
        assert found is not None
        return found

    def set_balance(self, provider: str, key: str, balance: Decimal) -> Account:
        self._redis.hset(self._key(provider, key), "balance", _micro(balance))
        found = self.account(provider, key)
        assert found is not None
        return found

    def set_webhook_key(self, provider: str, key: str, secret: str | None) -> Account:
        name = self._key(provider, key)
        if secret:
            self._redis.hset(name, "webhook_key", secret)
        else:
            self._redis.hdel(name, "webhook_key")
        found = self.account(provider, key)
        if found is None:
            raise KeyError((provider, key))
        return found

    def hold(self, job_id: str, provider: str, key: str, cost: Decimal) -> HoldResult:
        owner = f"{provider}{SEP}{key}"
        micro = _micro(cost)
        placed, fields = self._hold(
            keys=[self._key(provider, key), self._open, self._active],
            args=[job_id, micro, f"{micro}{SEP}{owner}", owner],
        )
        account = self._read(provider, key, dict(zip(fields[::2], fields[1::2], strict=True)))
        if account is None:  # no such account (-1, and no fields)
            raise KeyError((provider, key))
        return HoldResult(placed == 1, account)

    def ends(self, job_id: str, at: float) -> None:
        self._redis.zadd(self._ends, {job_id: at})

    def settle(self, job_id: str, *, charge: bool, fee: Decimal) -> Decimal | None:
        taken = self._settle(
            keys=[self._open, self._ends, self._active],
            args=[job_id, int(charge), _micro(fee), self._account_prefix],
        )
        return None if taken is None else _amount(taken)

    def due(self, now: float) -> list[str]:
        return [job_id.decode() for job_id in self._due(keys=[self._ends], args=[repr(now)])]

    def next_due(self) -> float:
        return -math.inf  # shared: another process may open a job at any time

    def active(self, provider: str, key: str) -> int:
        return int(self._redis.hget(self._active, f"{provider}{SEP}{key}") or 0)

    def created(self, provider: str, key: str, now: float, limit: int | None) -> int:
        if limit is None:
            return 0
        name = self._created + f"{provider}{SEP}{key}"
        with self._redis.pipeline() as pipe:
            pipe.zremrangebyscore(name, "-inf", repr(now - HOUR))
            pipe.zcard(name)
            return int(pipe.execute()[-1])

    def note_created(self, job_id: str, provider: str, key: str, now: float, limit: int) -> None:
        name = self._created + f"{provider}{SEP}{key}"
        with self._redis.pipeline() as pipe:  # the latest `limit` only: bounded
            pipe.zadd(name, {job_id: now})
            pipe.zremrangebyrank(name, 0, -limit - 1)
            pipe.execute()

    def open_jobs(self) -> int:
        return int(self._redis.hlen(self._open))

    def accounts(self) -> list[Account]:
        found = []
        for name in self._redis.scan_iter(match=self._account_prefix + "*", count=500):
            provider, _, key = name.decode()[len(self._account_prefix) :].partition(SEP)
            account = self.account(provider, key)
            if account is not None:
                found.append(account)
        return found

    def clear(self) -> None:
        names = list(self._redis.scan_iter(match=self._account_prefix + "*", count=500))
        names += list(self._redis.scan_iter(match=self._created + "*", count=500))
        self._redis.delete(self._open, self._ends, self._active, *names)
