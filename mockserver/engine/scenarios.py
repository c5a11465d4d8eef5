"""Choosing the scenario a request plays out.

First match wins: the `X-Mock-Scenario` header, a `[mock:NAME]` token in the
prompt, then queued rules ("the next N matching requests get NAME"), else
`success`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from contracts import OUTCOME_SCENARIOS, SCENARIOS, TIMING_SCENARIOS, Contract

PROMPT_TOKEN = re.compile(r"\[mock:([A-Za-z0-9_.-]+)\]")
ChoiceSource = Literal["header", "prompt", "rule", "default"]


def supported(contract: Contract) -> list[str]:
    """Every scenario name this provider can show, catalogue order first."""
    names = ["success", *sorted(TIMING_SCENARIOS)]
    names += list(contract.outcomes)
    names += [n for n, case in contract.errors.items() if case.scenario]
    ordered = [n for n in SCENARIOS if n in names]
    return ordered + sorted(n for n in set(names) if n not in SCENARIOS)


def is_job_scenario(name: str, contract: Contract) -> bool:
    """Outcome and timing scenarios shape a job; only submits can play them."""
    return name in OUTCOME_SCENARIOS or name in TIMING_SCENARIOS or name in contract.outcomes


@dataclass(slots=True)
class ScenarioRule:
    id: str
    scenario: str
    provider: str | None = None
    operation: str | None = None
    times: int | None = 1
    used: int = 0

    def matches(self, provider: str, operation: str) -> bool:
        return (self.provider is None or self.provider == provider) and (
            self.operation is None or self.operation == operation
        )

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.used >= self.times

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scenario": self.scenario,
            "provider": self.provider,
            "operation": self.operation,
            "times": self.times,
            "used": self.used,
            "remaining": None if self.times is None else self.times - self.used,
        }


class ScenarioRules:
    """Queued rules, consulted in the order they were added."""

    def __init__(self) -> None:
        self._rules: list[ScenarioRule] = []
        self._next_id = 0

    def add(
        self,
        scenario: str,
        *,
        provider: str | None = None,
        operation: str | None = None,
        times: int | None = 1,
    ) -> ScenarioRule:
        if times is not None and (not isinstance(times, int) or times < 1):
            raise ValueError(f"times must be a positive integer or None, got {times!r}")
        self._next_id += 1
        rule = ScenarioRule(f"rule-{self._next_id}", scenario, provider, operation, times)
        self._rules.append(rule)
        return rule

    def find(
        self, provider: str, operation: str, applies: Callable[[str], bool]
    ) -> ScenarioRule | None:
        for rule in self._rules:
            if rule.matches(provider, operation) and applies(rule.scenario):
                return rule
        return None

    def consume(self, rule: ScenarioRule) -> None:
        rule.used += 1
        if rule.exhausted and rule in self._rules:
            self._rules.remove(rule)

    def remove(self, rule_id: str) -> bool:
        for rule in self._rules:
            if rule.id == rule_id:
                self._rules.remove(rule)
                return True
        return False

    def clear(self) -> None:
        self._rules.clear()
        self._next_id = 0

    def __iter__(self) -> Iterator[ScenarioRule]:
        return iter(list(self._rules))

    def __len__(self) -> int:
        return len(self._rules)


@dataclass(frozen=True, slots=True)
class Choice:
    scenario: str
    source: ChoiceSource
    rule: ScenarioRule | None = None


def named_in_request(header: str | None, prompt: str | None) -> Choice | None:
    """The scenario a request names itself, by header or by prompt token."""
    if header is not None and header.strip():
        return Choice(header.strip().lower(), "header")
    if prompt:
        match = PROMPT_TOKEN.search(prompt)
        if match:
            return Choice(match.group(1).lower(), "prompt")
    return None
