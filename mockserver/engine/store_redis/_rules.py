"""Scenario rules in Redis."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from mockserver.engine.scenarios import RuleMatch, ScenarioRule

if TYPE_CHECKING:
    import redis

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
        # The live count as the last request began (None: ask Redis), for the idle check.
        self._count: int | None = None

    @property
    def live_key(self) -> str:
        return self._rules

    def counted(self, count: int) -> None:
        """The live count, read as a request began along with the clock."""
        self._count = count

    def add(self, scenario: str, match: RuleMatch, expires_at: float | None) -> ScenarioRule:
        self._count = None
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
        self._count = None
        keys = [self._rules, self._used, self._spent]
        return bool(self._claim(keys=keys, args=[rule.id]))

    def release(self, rule: ScenarioRule) -> None:
        self._count = None
        keys = [self._rules, self._used, self._spent, self._withdrawn]
        self._release(keys=keys, args=[rule.id])

    def remove(self, rule_id: str) -> bool:
        self._count = None
        with self._redis.pipeline() as pipe:
            pipe.hdel(self._rules, rule_id)
            pipe.sadd(self._withdrawn, rule_id)
            removed, _ = pipe.execute()
        return bool(removed)

    def clear(self) -> None:
        self._count = None
        self._redis.delete(self._rules, self._used, self._spent, self._withdrawn, self._next)

    def __iter__(self) -> Iterator[ScenarioRule]:
        return iter(self._all())

    def __len__(self) -> int:
        if self._count is None:
            return int(self._redis.hlen(self._rules))
        return self._count


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
