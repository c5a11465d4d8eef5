"""Scenario rules in Redis, indexed as in this process (see `engine/rule_queue.py`).

Each live rule is a spec in one hash and a member of its bucket, a sorted set per
(provider, key) scored by its place in the queue; rules that may lapse are also in a
sorted set by expiry time. A request's candidates are one Lua step: lapsed rules
leave, and the four buckets it could match are read with each rule's uses so far.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from mockserver.engine.rule_queue import request_buckets, rule_bucket, rule_number
from mockserver.engine.scenarios import RuleMatch, ScenarioRule

if TYPE_CHECKING:
    import redis

# KEYS: live hash, used hash, lapsing zset. ARGV: now, the bucket prefix, then the
# buckets to read. Answers id, spec and uses for each rule in them, in queue order.
_CANDIDATES = """
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1])) do
  local spec = redis.call('HGET', KEYS[1], id)
  if spec then
    redis.call('HDEL', KEYS[1], id)
    redis.call('ZREM', ARGV[2] .. cjson.decode(spec)['bucket'], id)
  end
  redis.call('ZREM', KEYS[3], id)
end
local found = {}
for i = 3, #ARGV do
  local members = redis.call('ZRANGE', ARGV[2] .. ARGV[i], 0, -1, 'WITHSCORES')
  for j = 1, #members, 2 do
    table.insert(found, {tonumber(members[j + 1]), members[j]})
  end
end
table.sort(found, function(a, b) return a[1] < b[1] end)
local answer = {}
for _, entry in ipairs(found) do
  local spec = redis.call('HGET', KEYS[1], entry[2])
  if spec then
    table.insert(answer, entry[2])
    table.insert(answer, spec)
    table.insert(answer, redis.call('HGET', KEYS[2], entry[2]) or '0')
  end
end
return answer
"""

# KEYS: live hash, used hash, spent hash. ARGV: rule id, the bucket prefix. Takes one use
# if one is left (times null: no limit); a rule used up leaves the queue (and its
# bucket) for the spent hash, so a use given back restores it.
_CLAIM = """
local spec = redis.call('HGET', KEYS[1], ARGV[1])
if not spec then return 0 end
local rule = cjson.decode(spec)
local times = -1
if type(rule['times']) == 'number' then times = rule['times'] end
local used = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
if times >= 0 and used > times then
  redis.call('HINCRBY', KEYS[2], ARGV[1], -1)
  return 0
end
if times >= 0 and used == times then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', ARGV[2] .. rule['bucket'], ARGV[1])
  redis.call('HSET', KEYS[3], ARGV[1], spec)
end
return 1
"""

# KEYS: live hash, used hash, spent hash, withdrawn set, lapsing zset.
# ARGV: rule id, the bucket prefix, its place in the queue, its expiry ('' for none;
# given as text, since Lua would print the number to 14 digits).
_RELEASE = """
redis.call('HINCRBY', KEYS[2], ARGV[1], -1)
local spec = redis.call('HGET', KEYS[3], ARGV[1])
if spec and redis.call('SISMEMBER', KEYS[4], ARGV[1]) == 0 then
  local rule = cjson.decode(spec)
  redis.call('HDEL', KEYS[3], ARGV[1])
  redis.call('HSET', KEYS[1], ARGV[1], spec)
  redis.call('ZADD', ARGV[2] .. rule['bucket'], ARGV[3], ARGV[1])
  if ARGV[4] ~= '' then redis.call('ZADD', KEYS[5], ARGV[4], ARGV[1]) end
end
return 0
"""

# KEYS: live hash, withdrawn set. ARGV: rule id, the bucket prefix.
_REMOVE = """
local spec = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
if not spec then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', ARGV[2] .. cjson.decode(spec)['bucket'], ARGV[1])
return 1
"""


# KEYS: the hash the rule is in (live or spent), lapsing zset. ARGV: rule id, its spec as
# read, its spec with its bucket, the bucket's key ('' when spent: not queued), its place,
# its expiry ('' for none). Indexes a rule an older version queued, unless it changed.
_INDEX = """
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
if ARGV[4] ~= '' then
  redis.call('ZADD', ARGV[4], ARGV[5], ARGV[1])
  if ARGV[6] ~= '' then redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1]) end
end
return 1
"""


def _bucket_name(provider: str | None, key: str | None) -> str:
    return json.dumps([provider, key], separators=(",", ":"))


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
        self._lapsing, self._buckets = prefix + "lapsing", prefix + "bucket:"
        self._candidates = client.register_script(_CANDIDATES)
        self._claim = client.register_script(_CLAIM)
        self._release = client.register_script(_RELEASE)
        self._remove = client.register_script(_REMOVE)
        # The live count as the last request began (None: ask Redis), for the idle check.
        self._count: int | None = None
        self._index_older_rules()

    def _index_older_rules(self) -> None:
        """Rules a version without the index queued (in a store kept across an upgrade)
        go into their buckets, each in one step that leaves a rule alone if it changed."""
        index = self._redis.register_script(_INDEX)
        for hash_key, queued in ((self._rules, True), (self._spent, False)):
            specs: dict[bytes, bytes] = self._redis.hgetall(hash_key)  # type: ignore[assignment]
            for rule_id, raw in specs.items():
                spec = json.loads(raw)
                if "bucket" in spec:
                    continue
                rule = _rule(rule_id, raw, None)
                bucket = _bucket_name(*rule_bucket(rule.match))
                args: list[bytes | str | int] = [
                    rule_id,
                    raw,
                    json.dumps({**spec, "bucket": bucket}),
                    self._buckets + bucket if queued else "",
                    rule_number(rule),
                    "" if rule.expires_at is None else repr(rule.expires_at),
                ]
                index(keys=[hash_key, self._lapsing], args=args)

    @property
    def live_key(self) -> str:
        return self._rules

    def counted(self, count: int) -> None:
        """The live count, read as a request began along with the clock."""
        self._count = count

    def add(self, scenario: str, match: RuleMatch, expires_at: float | None) -> ScenarioRule:
        self._count = None
        rule = ScenarioRule(f"rule-{self._redis.incr(self._next)}", scenario, match, expires_at)
        bucket = _bucket_name(*rule_bucket(match))
        spec = {"scenario": scenario, "expires_at": expires_at, **_match(match), "bucket": bucket}
        with self._redis.pipeline() as pipe:  # MULTI: never a spec without its bucket
            pipe.hset(self._rules, rule.id, json.dumps(spec))
            pipe.zadd(self._buckets + bucket, {rule.id: rule_number(rule)})
            if expires_at is not None:
                pipe.zadd(self._lapsing, {rule.id: expires_at})
            pipe.execute()
        return rule

    def _all(self) -> list[ScenarioRule]:
        with self._redis.pipeline() as pipe:
            pipe.hgetall(self._rules)
            pipe.hgetall(self._used)
            specs, used = pipe.execute()
        rules = [_rule(rule_id, raw, used.get(rule_id)) for rule_id, raw in specs.items()]
        return sorted(rules, key=rule_number)

    def candidates(self, provider: str, key: str | None, now: float) -> list[ScenarioRule]:
        buckets = [_bucket_name(*b) for b in request_buckets(provider, key)]
        found = self._candidates(
            keys=[self._rules, self._used, self._lapsing],
            args=[repr(now), self._buckets, *buckets],
        )
        return [_rule(*found[i : i + 3]) for i in range(0, len(found), 3)]

    def claim(self, rule: ScenarioRule) -> bool:
        self._count = None
        keys = [self._rules, self._used, self._spent]
        return bool(self._claim(keys=keys, args=[rule.id, self._buckets]))

    def release(self, rule: ScenarioRule) -> None:
        self._count = None
        keys = [self._rules, self._used, self._spent, self._withdrawn, self._lapsing]
        expiry = "" if rule.expires_at is None else repr(rule.expires_at)
        self._release(keys=keys, args=[rule.id, self._buckets, rule_number(rule), expiry])

    def remove(self, rule_id: str) -> bool:
        self._count = None
        return bool(
            self._remove(keys=[self._rules, self._withdrawn], args=[rule_id, self._buckets])
        )

    def clear(self) -> None:
        self._count = None
        names = list(self._redis.scan_iter(match=self._buckets + "*", count=500))
        fixed = (self._rules, self._used, self._spent, self._withdrawn, self._next, self._lapsing)
        self._redis.delete(*fixed, *names)

    def __iter__(self) -> Iterator[ScenarioRule]:
        return iter(self._all())

    def __len__(self) -> int:
        if self._count is None:
            return int(self._redis.hlen(self._rules))
        return self._count


def _rule(rule_id: bytes, raw: bytes, used: bytes | None) -> ScenarioRule:
    spec = json.loads(raw)
    scenario, expires_at = spec.pop("scenario"), spec.pop("expires_at")
    spec.pop("bucket", None)
    rule = ScenarioRule(rule_id.decode(), scenario, RuleMatch(**spec), expires_at)
    rule.used = int(used or 0)
    return rule


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
