"""The director decides what each request plays out: rules, chaos and latency.

First match wins: the `X-Mock-Scenario` header, a `[mock:NAME]` prompt token,
a queued rule, a chaos draw, else `success`.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

from contracts import Contract
from mockserver.engine.chaos import Chaos, ChaosEntry, Latency, LatencyEntry
from mockserver.engine.clock import Clock
from mockserver.engine.errors import MockUsageError, UnknownScenario
from mockserver.engine.rule_queue import ScenarioRules
from mockserver.engine.scenarios import (
    Choice,
    Claim,
    RequestFacts,
    RuleMatch,
    ScenarioRule,
    is_job_scenario,
    named_in_request,
    supported,
)

if TYPE_CHECKING:
    from mockserver.engine.store import Rules

DEFAULT_CHOICE = Choice("success", "default")
_Entry = TypeVar("_Entry", ChaosEntry, LatencyEntry, RuleMatch)


def _entry(kind: type[_Entry], given: Mapping[str, Any], what: str) -> _Entry:
    names = {f.name for f in fields(kind)}
    unknown = sorted(set(given) - names)
    if unknown:
        raise MockUsageError(
            f"{what}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}"
        )
    try:
        return kind(**given)
    except TypeError as exc:
        raise MockUsageError(f"{what}: {exc}") from None


class Director:
    def __init__(
        self,
        contracts: Mapping[str, Contract],
        clock: Clock,
        seed: int,
        rules: Rules | None = None,
    ) -> None:
        self.contracts = contracts
        self.clock = clock
        self.available: dict[str, list[str]] = {p: supported(c) for p, c in contracts.items()}
        self.rules: Rules = rules if rules is not None else ScenarioRules()
        self.chaos = Chaos(seed)
        self.latency = Latency(seed)
        # Bytes for garbage answers: seeded, so a replayed run sends the same garbage.
        self.noise = random.Random(f"grok-imagine-mock/noise/{seed}")

    @property
    def idle(self) -> bool:
        """No rule queued and no chaos: every request without a header or prompt token
        plays success (the common case, answered without the lock)."""
        return not len(self.rules) and not self.chaos.entries

    def contract(self, provider: str) -> Contract:
        try:
            return self.contracts[provider]
        except KeyError:
            known = ", ".join(self.contracts)
            raise MockUsageError(f"provider {provider!r} is not served; served: {known}") from None

    def check(self, scenario: str, provider: str | None, operation: str | None) -> None:
        """Refuse a scenario the provider cannot show, or an operation that cannot play it."""
        providers = [self.contract(provider)] if provider else list(self.contracts.values())
        if not any(scenario in self.available[c.provider] for c in providers):
            names = sorted({n for c in providers for n in self.available[c.provider]})
            raise UnknownScenario(scenario, provider or "any served provider", names)
        if operation is None:
            return
        kinds = {op.kind for c in providers for op in c.operations if op.id == operation}
        if not kinds:
            ops = sorted({op.id for c in providers for op in c.operations})
            raise MockUsageError(f"unknown operation {operation!r}; operations: {', '.join(ops)}")
        if "submit" not in kinds and any(is_job_scenario(scenario, c) for c in providers):
            raise MockUsageError(
                f"scenario {scenario!r} shapes a job, so it needs a submit operation, "
                f"not {operation!r}"
            )

    def queue(self, scenario: str, **match: Any) -> ScenarioRule:
        """Queue a rule: `match` holds RuleMatch's fields (provider, ..., expires_in)."""
        if not isinstance(scenario, str):
            raise MockUsageError(f"'scenario' must be a scenario name, got {scenario!r}")
        rule = _entry(RuleMatch, match, "rule")
        self.check(scenario, rule.provider, rule.operation)
        seconds = rule.expires_in
        expires_at = None if seconds is None else self.clock.now() + seconds
        return self.rules.add(scenario, rule, expires_at)

    def set_chaos(self, entries: Iterable[ChaosEntry | Mapping[str, Any]]) -> None:
        checked = []
        for entry in entries:
            if isinstance(entry, Mapping):
                entry = _entry(ChaosEntry, entry, "chaos")
            self.check(entry.scenario, entry.provider, entry.operation)
            checked.append(entry)
        self.chaos.set(checked)

    def set_latency(self, entries: Iterable[LatencyEntry | Mapping[str, Any]]) -> None:
        checked = []
        for entry in entries:
            if isinstance(entry, Mapping):
                entry = _entry(LatencyEntry, entry, "latency")
            if entry.provider is not None:
                self.contract(entry.provider)
            checked.append(entry)
        self.latency.set(checked)

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        """The chaos and latency tables as plain data (what processes sharing a state
        publish to each other)."""
        return {
            "chaos": [e.to_dict() for e in self.chaos.entries],
            "latency": [e.to_dict() for e in self.latency.entries],
        }

    def set_tables(self, tables: Mapping[str, Any]) -> None:
        """Both tables from `tables()`'s data."""
        self.set_chaos(tables["chaos"])
        self.set_latency(tables["latency"])

    def choose(self, facts: RequestFacts, *, header: str | None) -> Choice:
        """The scenario for this request; a rule is consumed only by `commit`."""
        if not header and not facts.prompt and not len(self.rules) and not self.chaos.entries:
            return DEFAULT_CHOICE
        available = self.available[facts.provider]
        contract = self.contracts[facts.provider]
        named = named_in_request(header, facts.prompt)
        if named is not None:
            if named.scenario not in available:
                raise UnknownScenario(named.scenario, facts.provider, available)
            # A session-wide header naming a job outcome must not break status reads.
            if facts.submit or not is_job_scenario(named.scenario, contract):
                return named

        def applies(name: str) -> bool:
            return name in available and (facts.submit or not is_job_scenario(name, contract))

        now = self.clock.now()
        for rule in self.rules.candidates(facts.provider, facts.key, now):
            if rule.matches(facts, now) and applies(rule.scenario) and self.rules.claim(rule):
                return Choice(rule.scenario, "rule", rule, Claim())
        picked = self.chaos.draw(facts, applies)
        if picked is not None:
            return Choice(picked, "chaos")
        return DEFAULT_CHOICE

    def commit(self, choice: Choice) -> None:
        """The choice plays: the rule's claimed use is spent."""
        if choice.claim is not None:
            choice.claim.spent = True

    def release(self, choice: Choice) -> None:
        """The request ended without playing its choice: the rule gets its use back."""
        if choice.claim is not None and not choice.claim.spent and choice.rule is not None:
            choice.claim.spent = True
            self.rules.release(choice.rule)
