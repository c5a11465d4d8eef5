"""Choosing the scenario a request plays out.

First match wins: the `X-Mock-Scenario` header, a `[mock:NAME]` token in the
prompt, then queued rules ("the next N matching requests get NAME"), else
`success`.
"""

from __future__ import annotations

import re
from dataclasses import field, fields
from typing import Any, Literal

from contracts import NETWORK_SCENARIOS, OUTCOME_SCENARIOS, SCENARIOS, TIMING_SCENARIOS, Contract
from contracts.record import record
from mockserver.engine.errors import MockUsageError
from mockserver.engine.journal import key_hint

PROMPT_TOKEN = re.compile(r"\[mock:([A-Za-z0-9_.-]+)\]")
ChoiceSource = Literal["header", "prompt", "rule", "chaos", "default"]


def supported(contract: Contract) -> list[str]:
    """Every scenario name this provider can show, catalogue order first."""
    names = ["success", *sorted(TIMING_SCENARIOS), *sorted(NETWORK_SCENARIOS)]
    names += list(contract.outcomes)
    names += [n for n, case in contract.errors.items() if case.scenario]
    ordered = [n for n in SCENARIOS if n in names]
    return ordered + sorted(n for n in set(names) if n not in SCENARIOS)


def is_job_scenario(name: str, contract: Contract) -> bool:
    """Outcome and timing scenarios shape a job; only submits can play them."""
    return name in OUTCOME_SCENARIOS or name in TIMING_SCENARIOS or name in contract.outcomes


@record(slots=True)
class RequestFacts:
    """What a scenario rule can match a request on (model and prompt once the body is read)."""

    provider: str
    operation: str
    submit: bool
    key: str | None = None
    model: str | None = None
    prompt: str | None = None


@record(slots=True)
class RuleMatch:
    """What a queued rule matches and how often: the fields a user gives (the Python
    API, the admin API and the config file all take exactly these)."""

    provider: str | None = None
    operation: str | None = None
    model: str | None = None
    key: str | None = None
    # A regex searched in the prompt.
    prompt: str | None = None
    # How many matching requests play the scenario (None: until the rule is removed).
    times: int | None = 1
    # Seconds on the emulator clock until the rule lapses.
    expires_in: float | None = None

    def __post_init__(self) -> None:
        for name in _TEXT_FIELDS:
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise MockUsageError(f"'{name}' must be a string")
        times = self.times
        if times is not None and (isinstance(times, bool) or not isinstance(times, int)):
            raise MockUsageError(f"'times' must be an integer or null, got {times!r}")
        if times is not None and times < 1:
            raise MockUsageError(f"times must be a positive integer or None, got {times!r}")
        seconds = self.expires_in
        number = isinstance(seconds, (int, float)) and not isinstance(seconds, bool)
        if seconds is not None and (not number or not 0 < seconds < float("inf")):
            raise MockUsageError(f"expires_in must be positive seconds, got {seconds!r}")


_TEXT_FIELDS = ("provider", "operation", "model", "key", "prompt")
# Every field of a rule as users write it: the scenario, then what it matches.
RULE_FIELDS = ("scenario", *(f.name for f in fields(RuleMatch)))


@record(frozen=False, slots=True)
class ScenarioRule:
    id: str
    scenario: str
    match: RuleMatch
    expires_at: float | None = None
    used: int = 0
    # Removed (or cleared away): a request that claimed it cannot put it back.
    withdrawn: bool = False
    _pattern: re.Pattern[str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.match.prompt is not None:
            try:
                self._pattern = re.compile(self.match.prompt)
            except re.error as exc:
                raise MockUsageError(
                    f"prompt pattern {self.match.prompt!r} is not a regex: {exc}"
                ) from None

    def matches(self, facts: RequestFacts, now: float) -> bool:
        if self.expires_at is not None and now >= self.expires_at:
            return False
        match = self.match
        for wanted, seen in (
            (match.provider, facts.provider),
            (match.operation, facts.operation),
            (match.model, facts.model),
            (match.key, facts.key),
        ):
            if wanted is not None and wanted != seen:
                return False
        if self._pattern is not None:
            return facts.prompt is not None and self._pattern.search(facts.prompt) is not None
        return True

    @property
    def times(self) -> int | None:
        return self.match.times

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.used >= self.times

    def to_dict(self) -> dict[str, Any]:
        match = {f.name: getattr(self.match, f.name) for f in fields(RuleMatch)}
        del match["expires_in"]
        return {
            "id": self.id,
            "scenario": self.scenario,
            **match,
            "key": key_hint(self.match.key),
            "used": self.used,
            "remaining": None if self.times is None else self.times - self.used,
            "expires_at": self.expires_at,
        }


@record(frozen=False, slots=True)
class Claim:
    """One request's hold on one of a rule's `times`: spent once the scenario plays."""

    spent: bool = False


@record(slots=True)
class Choice:
    scenario: str
    source: ChoiceSource
    rule: ScenarioRule | None = None
    claim: Claim | None = None


def named_in_request(header: str | None, prompt: str | None) -> Choice | None:
    """The scenario a request names itself, by header or by prompt token."""
    if header is not None and header.strip():
        return Choice(header.strip().lower(), "header")
    if prompt:
        match = PROMPT_TOKEN.search(prompt)
        if match:
            return Choice(match.group(1).lower(), "prompt")
    return None
