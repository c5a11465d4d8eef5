"""The provider-neutral scenario vocabulary.

These names are public: users type them in `X-Mock-Scenario` headers, in
`[mock:NAME]` prompt tokens and in rules. Each provider contract maps the
ones it can show onto its own status codes, bodies and job states.
"""

from __future__ import annotations

from contracts._model import ScenarioKind
from contracts.record import record


@record
class Scenario:
    name: str
    kind: ScenarioKind
    description: str
    # Refusals and network faults: whether trying again later can succeed.
    retryable: bool = False


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("success", "outcome", "The request is accepted and the job succeeds."),
        Scenario("job-failed", "outcome", "The job is accepted, then ends in the failed state."),
        Scenario(
            "job-error",
            "outcome",
            "The job is accepted, then ends in a system error (not charged where documented).",
        ),
        Scenario(
            "moderation-blocked",
            "outcome",
            "The job is accepted, then content moderation blocks the result.",
        ),
        Scenario(
            "slow", "timing", "The job succeeds, but takes three times the realistic duration."
        ),
        Scenario("stuck", "timing", "The job is accepted and never finishes."),
        Scenario(
            "expired",
            "timing",
            "The job is accepted, but its record and media are already past retention.",
        ),
        Scenario(
            "record-not-ready",
            "timing",
            "The job is accepted, but its first reads answer as for an unknown job, as if its "
            "record were not written yet (Kie's 'recordInfo is null'); then it goes on.",
        ),
        Scenario("insufficient-credits", "refusal", "The account cannot pay for the request."),
        Scenario(
            "credits-exhausted",
            "refusal",
            "The team has used all its credits or reached its monthly spending limit (xAI).",
        ),
        Scenario("unauthorized", "refusal", "The API key is missing or invalid."),
        Scenario("forbidden", "refusal", "The key is valid but not allowed to use this model."),
        Scenario("rate-limited", "refusal", "Too many requests.", retryable=True),
        Scenario("server-error", "refusal", "An internal server error.", retryable=True),
        Scenario(
            "bad-gateway",
            "refusal",
            "The gateway could not reach the model service.",
            retryable=True,
        ),
        Scenario(
            "gateway-timeout",
            "refusal",
            "The gateway timed out waiting for the model.",
            retryable=True,
        ),
        Scenario("maintenance", "refusal", "The service is down for maintenance.", retryable=True),
        Scenario("feature-disabled", "refusal", "The requested feature is disabled."),
        Scenario("model-not-found", "refusal", "The model does not exist or is disabled."),
        Scenario("validation-error", "refusal", "The request parameters are rejected."),
        Scenario(
            "disconnect", "network", "The connection is reset before any answer.", retryable=True
        ),
        Scenario(
            "empty-response",
            "network",
            "The server closes the connection without answering.",
            retryable=True,
        ),
        Scenario(
            "garbage-response",
            "network",
            "Random bytes, not HTTP, then the connection closes.",
            retryable=True,
        ),
        Scenario(
            "truncated-body",
            "network",
            "The request is processed; the answer's body is cut off halfway and the "
            "connection closes.",
        ),
        Scenario(
            "slow-response",
            "network",
            "The request is processed; the answer dribbles out a few bytes at a time.",
        ),
        Scenario("hang", "network", "No answer at all, until the client gives up.", retryable=True),
    )
}

OUTCOME_SCENARIOS = frozenset(n for n, s in SCENARIOS.items() if s.kind == "outcome")
NETWORK_SCENARIOS = frozenset(n for n, s in SCENARIOS.items() if s.kind == "network")
TIMING_SCENARIOS = frozenset(n for n, s in SCENARIOS.items() if s.kind == "timing")
