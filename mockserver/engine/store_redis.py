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

import json
import secrets
from collections.abc import Iterator, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any

from mockserver.engine.accounts import HOUR, Account
from mockserver.engine.clock import SystemClock, check_step
from mockserver.engine.errors import MockUsageError
from mockserver.engine.jobs import Job, MediaPlan, Outcome
from mockserver.engine.journal import JournalEntry
from mockserver.engine.lifecycle import Timeline
from mockserver.engine.scenarios import RuleMatch, ScenarioRule
from mockserver.engine.store import HoldResult, Presets, State

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

_MICRO = Decimal("0.000001")
_SEP = "\x1f"  # between provider and key in one field: neither ever holds it

# KEYS: account hash, open hash, active hash.
# ARGV: job id, cost, open entry ("cost<US>provider<US>key"), the owner's active field.
_HOLD = """
local balance = tonumber(redis.call('HGET', KEYS[1], 'balance'))
if balance == nil then return {-1, 0, 0} end
local held = tonumber(redis.call('HGET', KEYS[1], 'held') or '0')
local cost = tonumber(ARGV[2])
if cost > balance - held then return {0, balance, held} end
held = redis.call('HINCRBY', KEYS[1], 'held', ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('HINCRBY', KEYS[3], ARGV[4], 1)
return {1, balance, held}
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
_DUE = """
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
        self._due = client.register_script(_DUE)

    def _key(self, provider: str, key: str) -> str:
        return f"{self._account_prefix}{provider}{_SEP}{key}"

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
        owner = f"{provider}{_SEP}{key}"
        micro = _micro(cost)
        placed, _, _ = self._hold(
            keys=[self._key(provider, key), self._open, self._active],
            args=[job_id, micro, f"{micro}{_SEP}{owner}", owner],
        )
        if placed == -1:
            raise KeyError((provider, key))
        account = self.account(provider, key)
        assert account is not None
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

    def active(self, provider: str, key: str) -> int:
        return int(self._redis.hget(self._active, f"{provider}{_SEP}{key}") or 0)

    def created(self, provider: str, key: str, now: float, limit: int | None) -> int:
        if limit is None:
            return 0
        name = self._created + f"{provider}{_SEP}{key}"
        with self._redis.pipeline() as pipe:
            pipe.zremrangebyscore(name, "-inf", repr(now - HOUR))
            pipe.zcard(name)
            return int(pipe.execute()[-1])

    def note_created(self, job_id: str, provider: str, key: str, now: float, limit: int) -> None:
        name = self._created + f"{provider}{_SEP}{key}"
        with self._redis.pipeline() as pipe:  # the latest `limit` only: bounded
            pipe.zadd(name, {job_id: now})
            pipe.zremrangebyrank(name, 0, -limit - 1)
            pipe.execute()

    def open_jobs(self) -> int:
        return int(self._redis.hlen(self._open))

    def accounts(self) -> list[Account]:
        found = []
        for name in self._redis.scan_iter(match=self._account_prefix + "*", count=500):
            provider, _, key = name.decode()[len(self._account_prefix) :].partition(_SEP)
            account = self.account(provider, key)
            if account is not None:
                found.append(account)
        return found

    def preset(self, presets: Presets, webhook_keys: Mapping[str, Mapping[str, str]]) -> None:
        for provider, keys in presets.items():
            for key, balance in keys.items():
                secret = webhook_keys.get(provider, {}).get(key)
                self.open_account(provider, key, Decimal(balance), secret)

    def clear(self) -> None:
        names = list(self._redis.scan_iter(match=self._account_prefix + "*", count=500))
        names += list(self._redis.scan_iter(match=self._created + "*", count=500))
        self._redis.delete(self._open, self._ends, self._active, *names)


def open_state(url: str, namespace: str = "grok-mock") -> tuple[State, RedisClock]:
    """The state and the clock of an emulator kept in the Redis at `url`."""
    client = connect(url)
    return redis_state(client, namespace), RedisClock(client, namespace)


class RedisClock(SystemClock):
    """Wall time plus an offset kept in Redis: a move made through any process is the
    time in every process from its next request on. The server calls `sync` as each
    request begins (one round trip); readings within the request use that offset."""

    # Other processes move it without telling this one: whoever waits for a time on it
    # looks again at least this often (real seconds).
    recheck = 1.0

    def __init__(self, client: redis.Redis, namespace: str = "grok-mock") -> None:
        super().__init__()
        self._redis = client
        self._key = f"{namespace}:clock:offset"
        self.sync()

    def sync(self) -> None:
        """Take the offset other processes may have moved."""
        self._offset = float(self._redis.get(self._key) or 0.0)

    def reset(self) -> None:
        self._redis.delete(self._key)
        self._offset = 0.0
        self._moved()

    def advance(self, seconds: float) -> None:
        self._offset = float(self._redis.incrbyfloat(self._key, check_step(seconds)))
        self._moved()

    def __repr__(self) -> str:
        return f"RedisClock({self._key!r})"


def redis_state(client: redis.Redis, namespace: str = "grok-mock") -> State:
    """An emulator's state in Redis under `namespace`, shared with every process using it."""
    secret_key = f"{namespace}:media:secret"
    client.set(secret_key, secrets.token_hex(32), nx=True)  # the first process makes it
    secret = client.get(secret_key)
    assert isinstance(secret, bytes)
    return State(
        RedisBilling(client, namespace),
        RedisJobs(client, namespace),
        RedisRules(client, namespace),
        RedisNumbers(client, namespace),
        journal=RedisLog(client, namespace),
        hooks=RedisHooks(client, namespace),
        tunables=RedisTunables(client, namespace),
        shared=True,
        media_secret=secret,
        discard=lambda: _drop(client, namespace),
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


# KEYS: job hash. ARGV: observed, read log (JSON). A read that saw less never undoes one
# that saw more.
_PROGRESS = """
local seen = tonumber(redis.call('HGET', KEYS[1], 'observed') or '0')
if tonumber(ARGV[1]) > seen then
  redis.call('HSET', KEYS[1], 'observed', ARGV[1], 'read_log', ARGV[2])
end
return 0
"""

# KEYS: job hash. Spends one "not there yet" read if one is left.
_UNREADY = """
local left = tonumber(redis.call('HGET', KEYS[1], 'unready') or '0')
if left <= 0 then return 0 end
redis.call('HINCRBY', KEYS[1], 'unready', -1)
return 1
"""

# KEYS: expiry zset. ARGV: now. Hands each expired job out once.
_EXPIRED = _DUE


class RedisJobs:
    """Job records in Redis: one hash per job, what never changes as one JSON field and
    what reads change field by field (atomic counters and monotonic progress)."""

    def __init__(self, client: redis.Redis, namespace: str = "grok-mock") -> None:
        self._redis = client
        self._prefix = f"{namespace}:job:"
        self._expiry = f"{namespace}:jobs:expiry"
        self._progress = client.register_script(_PROGRESS)
        self._unready = client.register_script(_UNREADY)
        self._expired = client.register_script(_EXPIRED)

    def add(self, job: Job) -> None:
        with self._redis.pipeline() as pipe:
            pipe.hset(self._prefix + job.id, mapping=_record(job))
            pipe.zadd(self._expiry, {job.id: job.expires_at})
            pipe.execute()

    def held(self, job_id: str) -> Job | None:
        return _job(self._redis.hgetall(self._prefix + job_id))

    def get(self, job_id: str, now: float) -> Job | None:
        job = self.held(job_id)
        return None if job is None or job.expired(now) else job

    def count_read(self, job: Job) -> int:
        return int(self._redis.hincrby(self._prefix + job.id, "reads", 1))

    def take_unready(self, job: Job) -> bool:
        return bool(self._unready(keys=[self._prefix + job.id]))

    def progress(self, job: Job) -> None:
        log = json.dumps(job.read_log) if job.read_log is not None else ""
        self._progress(keys=[self._prefix + job.id], args=[job.observed, log])

    def settled(self, job: Job) -> None:
        self._redis.hset(self._prefix + job.id, mapping={"settled": 1, "fee": str(job.fee)})

    def sweep(self, now: float) -> list[Job]:
        expired = [i.decode() for i in self._expired(keys=[self._expiry], args=[repr(now)])]
        if not expired:
            return []
        with self._redis.pipeline() as pipe:
            for job_id in expired:
                pipe.hgetall(self._prefix + job_id)
            pipe.delete(*(self._prefix + job_id for job_id in expired))
            found = pipe.execute()[:-1]
        return [job for job in map(_job, found) if job is not None]

    def clear(self) -> None:
        names = list(self._redis.scan_iter(match=self._prefix + "*", count=1000))
        self._redis.delete(self._expiry, *names)

    def __len__(self) -> int:
        return int(self._redis.zcard(self._expiry))

    def __iter__(self) -> Iterator[Job]:
        found_ids: list[bytes] = self._redis.zrange(self._expiry, 0, -1)  # type: ignore[assignment]
        ids = [job_id.decode() for job_id in found_ids]
        with self._redis.pipeline() as pipe:
            for job_id in ids:
                pipe.hgetall(self._prefix + job_id)
            found = pipe.execute()
        return iter([job for job in map(_job, found) if job is not None])


def _record(job: Job) -> dict[Any, Any]:
    timeline, media, outcome = job.timeline, job.media, job.outcome
    spec = {
        "id": job.id,
        "provider": job.provider,
        "operation": job.operation,
        "model": job.model,
        "account": job.account,
        # The request bytes as they were (latin-1 maps each byte to one character).
        "request": job.request.decode("latin-1"),
        "created_at": job.created_at,
        "timeline": [
            timeline.phases,
            list(timeline.ends),
            timeline.by_reads,
            timeline.reads_per_phase,
            timeline.finishes,
        ],
        "outcome": [outcome.kind, outcome.message, outcome.code],
        "media": [media.width, media.height, media.format, media.count, media.variant],
        "expires_at": job.expires_at,
        "media_expires_at": job.media_expires_at,
        "cost": str(job.cost),
        "profile": job.profile,
        "scenario": job.scenario,
        "scenario_source": job.scenario_source,
        "seed": job.seed,
        "inline": job.inline,
        "pollable": job.pollable,
    }
    return {
        "spec": json.dumps(spec, separators=(",", ":")),
        "reads": job.reads,
        "observed": job.observed,
        "read_log": json.dumps(job.read_log) if job.read_log is not None else "",
        "settled": int(job.settled),
        "fee": str(job.fee),
        "unready": job.unready_reads,
    }


def _job(fields: Mapping[Any, Any]) -> Job | None:
    raw = fields.get(b"spec")
    if raw is None:
        return None
    spec = json.loads(raw)
    phases, ends, by_reads, reads_per_phase, finishes = spec["timeline"]
    kind, message, code = spec["outcome"]
    log = fields.get(b"read_log")
    return Job(
        id=spec["id"],
        provider=spec["provider"],
        operation=spec["operation"],
        model=spec["model"],
        account=spec["account"],
        request=spec["request"].encode("latin-1"),
        created_at=spec["created_at"],
        timeline=Timeline(phases, tuple(ends), by_reads, reads_per_phase, finishes),
        outcome=Outcome(kind, message, code),
        media=MediaPlan(*spec["media"]),
        expires_at=spec["expires_at"],
        media_expires_at=spec["media_expires_at"],
        cost=Decimal(spec["cost"]),
        profile=spec["profile"],
        scenario=spec["scenario"],
        scenario_source=spec["scenario_source"],
        seed=spec["seed"],
        inline=spec["inline"],
        pollable=spec["pollable"],
        fee=Decimal(fields.get(b"fee", b"0").decode()),
        unready_reads=int(fields.get(b"unready", 0)),
        reads=int(fields.get(b"reads", 0)),
        observed=int(fields.get(b"observed", 0)),
        read_log=json.loads(log) if log else None,
        settled=fields.get(b"settled") == b"1",
    )


# KEYS: rules hash, used hash, spent hash. ARGV: rule id. Takes one use if one is left
# (times null: no limit); a rule used up leaves the queue for the spent hash, so a use
# given back restores it.
_CLAIM = """
local spec = redis.call('HGET', KEYS[1], ARGV[1])
if not spec then return 0 end
local given = cjson.decode(spec)['times']
local times = -1
if type(given) == 'number' then times = given end
local used = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
if times >= 0 and used > times then
  redis.call('HINCRBY', KEYS[2], ARGV[1], -1)
  return 0
end
if times >= 0 and used == times then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HSET', KEYS[3], ARGV[1], spec)
end
return 1
"""

# KEYS: rules hash, used hash, spent hash, withdrawn set. ARGV: rule id.
_RELEASE = """
redis.call('HINCRBY', KEYS[2], ARGV[1], -1)
local spec = redis.call('HGET', KEYS[3], ARGV[1])
if spec and redis.call('SISMEMBER', KEYS[4], ARGV[1]) == 0 then
  redis.call('HDEL', KEYS[3], ARGV[1])
  redis.call('HSET', KEYS[1], ARGV[1], spec)
end
return 0
"""


class RedisRules:
    """Scenario rules in Redis: each of a rule's `times` is claimed by one request in one
    process (a Lua step), so `times=3` plays exactly three times across all of them."""

    def __init__(self, client: redis.Redis, namespace: str = "grok-mock") -> None:
        self._redis = client
        prefix = f"{namespace}:rules:"
        self._rules, self._used = prefix + "live", prefix + "used"
        self._spent, self._withdrawn, self._next = (
            prefix + "spent",
            prefix + "withdrawn",
            prefix + "next",
        )
        self._claim = client.register_script(_CLAIM)
        self._release = client.register_script(_RELEASE)

    def add(self, scenario: str, match: RuleMatch, expires_at: float | None) -> ScenarioRule:
        rule = ScenarioRule(f"rule-{self._redis.incr(self._next)}", scenario, match, expires_at)
        spec = {"scenario": scenario, "expires_at": expires_at, **_match(match)}
        self._redis.hset(self._rules, rule.id, json.dumps(spec))
        return rule

    def _all(self) -> list[ScenarioRule]:
        with self._redis.pipeline() as pipe:
            pipe.hgetall(self._rules)
            pipe.hgetall(self._used)
            specs, used = pipe.execute()
        rules = []
        for rule_id, raw in specs.items():
            spec = json.loads(raw)
            scenario, expires_at = spec.pop("scenario"), spec.pop("expires_at")
            rule = ScenarioRule(rule_id.decode(), scenario, RuleMatch(**spec), expires_at)
            rule.used = int(used.get(rule_id, 0))
            rules.append(rule)
        return sorted(rules, key=lambda r: int(r.id.rpartition("-")[2]))

    def candidates(self, now: float) -> list[ScenarioRule]:
        rules = self._all()
        lapsed = [r.id for r in rules if r.expires_at is not None and now >= r.expires_at]
        if lapsed:
            self._redis.hdel(self._rules, *lapsed)
        return [r for r in rules if r.id not in lapsed]

    def claim(self, rule: ScenarioRule) -> bool:
        keys = [self._rules, self._used, self._spent]
        return bool(self._claim(keys=keys, args=[rule.id]))

    def release(self, rule: ScenarioRule) -> None:
        keys = [self._rules, self._used, self._spent, self._withdrawn]
        self._release(keys=keys, args=[rule.id])

    def remove(self, rule_id: str) -> bool:
        with self._redis.pipeline() as pipe:
            pipe.hdel(self._rules, rule_id)
            pipe.sadd(self._withdrawn, rule_id)
            removed, _ = pipe.execute()
        return bool(removed)

    def clear(self) -> None:
        self._redis.delete(self._rules, self._used, self._spent, self._withdrawn, self._next)

    def __iter__(self) -> Iterator[ScenarioRule]:
        return iter(self._all())

    def __len__(self) -> int:
        return int(self._redis.hlen(self._rules))


def _match(match: RuleMatch) -> dict[str, Any]:
    return {
        "provider": match.provider,
        "operation": match.operation,
        "model": match.model,
        "key": match.key,
        "prompt": match.prompt,
        "times": match.times,
        "expires_in": match.expires_in,
    }


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
        data = json.dumps(_entry_fields(entry), default=str, separators=(",", ":"))
        return int(self._append(keys=[self._stream, self._seq], args=[data, keep]))

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


def _entry_fields(entry: JournalEntry) -> dict[str, Any]:
    fields = entry.to_dict()
    del fields["seq"]
    return fields


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

    def changed(self, seen: int) -> tuple[int, dict[str, Any] | None]:
        version = int(self._redis.get(self._version) or 0)
        if version == seen:
            return version, None
        raw = self._redis.get(self._key)
        return version, json.loads(raw) if isinstance(raw, bytes) else None

    def clear(self) -> None:
        self._redis.delete(self._key, self._version)
