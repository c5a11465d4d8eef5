"""Queued scenario rules in this process, indexed so a request never scans them all.

A rule that names a provider or a key can only match requests of that provider or
with that key, so rules are kept in buckets by (provider, key), None standing for
"any". A request looks at four buckets (its provider and key, its provider with any
key, any provider with its key, and neither), merged in the order the rules were
added: thousands of rules queued for other keys cost a request nothing. Rules that
lapse leave through a heap of their expiry times, not a scan.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator

from mockserver.engine.scenarios import RuleMatch, ScenarioRule

Bucket = tuple[str | None, str | None]


def rule_number(rule: ScenarioRule) -> int:
    """A rule's place in the queue (its id is `rule-N`)."""
    return int(rule.id.rpartition("-")[2])


def rule_bucket(match: RuleMatch) -> Bucket:
    return (match.provider, match.key)


def request_buckets(provider: str, key: str | None) -> list[Bucket]:
    """The buckets whose rules could match a request of `provider` with `key`."""
    wanted = [(provider, key), (provider, None), (None, key), (None, None)]
    return list(dict.fromkeys(wanted))  # without a key, two of them are the same


class ScenarioRules:
    """A request claims one of a rule's `times` when it chooses the rule, and gives it
    back if it ends without playing it (refused before its job opened, say)."""

    def __init__(self) -> None:
        self._live: dict[str, ScenarioRule] = {}
        self._buckets: dict[Bucket, dict[str, ScenarioRule]] = {}
        self._lapsing: list[tuple[float, int, str]] = []
        self._next_id = 0

    def add(self, scenario: str, match: RuleMatch, expires_at: float | None) -> ScenarioRule:
        rule = ScenarioRule(f"rule-{self._next_id + 1}", scenario, match, expires_at)
        self._next_id += 1
        self._enter(rule)
        return rule

    def candidates(self, provider: str, key: str | None, now: float) -> list[ScenarioRule]:
        self._lapse(now)
        found = [self._buckets.get(b) for b in request_buckets(provider, key)]
        lists = [list(bucket.values()) for bucket in found if bucket]
        if len(lists) == 1:
            return lists[0]
        return list(heapq.merge(*lists, key=rule_number))

    def claim(self, rule: ScenarioRule) -> bool:
        if rule.withdrawn or rule.exhausted:
            return False
        rule.used += 1
        if rule.exhausted:
            self._leave(rule)
        return True

    def release(self, rule: ScenarioRule) -> None:
        rule.used -= 1
        if not rule.withdrawn and rule.id not in self._live:
            self._enter(rule)

    def remove(self, rule_id: str) -> bool:
        rule = self._live.get(rule_id)
        if rule is None:
            return False
        rule.withdrawn = True
        self._leave(rule)
        return True

    def clear(self) -> None:
        for rule in self._live.values():
            rule.withdrawn = True
        self._live.clear()
        self._buckets.clear()
        self._lapsing.clear()
        self._next_id = 0

    def __iter__(self) -> Iterator[ScenarioRule]:
        return iter(sorted(self._live.values(), key=rule_number))

    def __len__(self) -> int:
        return len(self._live)

    def _enter(self, rule: ScenarioRule) -> None:
        """Into the queue at its place (a released rule goes back where it was)."""
        self._live[rule.id] = rule
        name = rule_bucket(rule.match)
        bucket = self._buckets.setdefault(name, {})
        last = next(reversed(bucket.values()), None)
        bucket[rule.id] = rule
        if last is not None and rule_number(last) > rule_number(rule):
            self._buckets[name] = {r.id: r for r in sorted(bucket.values(), key=rule_number)}
        if rule.expires_at is not None:
            heapq.heappush(self._lapsing, (rule.expires_at, rule_number(rule), rule.id))

    def _leave(self, rule: ScenarioRule) -> None:
        self._live.pop(rule.id, None)
        name = rule_bucket(rule.match)
        bucket = self._buckets.get(name)
        if bucket is not None:
            bucket.pop(rule.id, None)
            if not bucket:
                del self._buckets[name]

    def _lapse(self, now: float) -> None:
        lapsing = self._lapsing
        while lapsing and lapsing[0][0] <= now:
            rule = self._live.get(heapq.heappop(lapsing)[2])
            if rule is not None:  # not used up or removed meanwhile
                self._leave(rule)
