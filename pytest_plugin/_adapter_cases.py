"""What the adapter checks draw: provider-neutral requests, and what goes wrong."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from contracts import NETWORK_SCENARIOS, SCENARIOS, Contract, Model, Param
from contracts.record import record
from contracts.strategies import valid_value

# The neutral fields, and the names providers give them.
_FIELDS = {
    "n": ("n", "num_images"),
    "aspect_ratio": ("aspect_ratio",),
    "resolution": ("resolution",),
    "output_format": ("output_format",),
}
NEUTRAL_FIELDS = ("prompt", *_FIELDS)
# The prompt of the explicit examples (drawn examples draw theirs).
EXAMPLE_PROMPT = "A lighthouse at dusk, waves breaking on the rocks"


@record
class ImageRequest:
    """What the checks ask an adapter for, in provider-neutral words.

    A field the provider's model does not take, or that the checks were told
    not to vary, is None: the adapter should leave it to the provider's default.
    """

    prompt: str
    n: int | None = None
    aspect_ratio: str | None = None
    resolution: str | None = None
    output_format: str | None = None

    @property
    def images(self) -> int:
        return self.n or 1


def model_params(contract: Contract, model: Model) -> tuple[Param, ...]:
    """The parameters a generation with `model` takes (a model's own, or its operation's)."""
    if model.params:
        return model.params
    submit = next(op for op in contract.operations if op.kind == "submit" and op.params)
    return submit.params


def varied_fields(contract: Contract, model: Model) -> dict[str, Param]:
    """Neutral field -> the model's parameter, for each field the model takes."""
    params = {p.name: p for p in model_params(contract, model)}
    out: dict[str, Param] = {}
    for neutral, names in _FIELDS.items():
        found = next((params[n] for n in names if n in params), None)
        if found is not None:
            out[neutral] = found
    return out


def _choices(param: Param) -> list[Any] | None:
    """Every value worth trying once: an enum's values, an integer range's two ends."""
    if param.enum is not None:
        # "auto" leaves the ratio to the model; the checks want to know what to expect.
        return [v for v in param.enum if v != "auto"]
    if param.type == "integer" and param.minimum is not None and param.maximum is not None:
        return sorted({int(param.minimum), int(param.maximum)})
    return None


def _allowed(contract: Contract, transport: str) -> dict[str, set[str]]:
    """Values a transport narrows a field to (the SDK's gRPC enums have no 21:9 or 1.5k)."""
    if transport != "grpc" or contract.grpc is None:
        return {}
    return {field: set(values.values()) for field, values in contract.grpc.enums.items()}


def _field_choices(param: Param, allowed: set[str] | None) -> list[Any] | None:
    choices = _choices(param)
    if choices is not None and allowed is not None:
        choices = [c for c in choices if c in allowed]
    return choices


def requests(
    contract: Contract, model: Model, vary: tuple[str, ...], transport: str = "rest"
) -> st.SearchStrategy[ImageRequest]:
    """Requests over every documented value and the whole of every range."""
    fields = {k: v for k, v in varied_fields(contract, model).items() if k in vary}
    allowed = _allowed(contract, transport)
    drawn: dict[str, st.SearchStrategy[Any]] = {}
    for neutral, param in fields.items():
        choices = _field_choices(param, allowed.get(neutral))
        if neutral == "n":
            drawn[neutral] = st.integers(int(param.minimum or 1), int(param.maximum or 1))
        elif choices is not None:
            drawn[neutral] = st.sampled_from(choices)
        else:
            drawn[neutral] = valid_value(param)
    prompt = valid_value(next(p for p in model_params(contract, model) if p.name == "prompt"))
    return st.builds(ImageRequest, prompt=prompt, **drawn)


def covering_requests(
    contract: Contract, model: Model, vary: tuple[str, ...], transport: str = "rest"
) -> list[ImageRequest]:
    """Few requests that between them use every enum value and both ends of every range
    at least once: the explicit examples every check runs before it draws."""
    fields = {k: v for k, v in varied_fields(contract, model).items() if k in vary}
    allowed = _allowed(contract, transport)
    choices = {k: c for k, p in fields.items() if (c := _field_choices(p, allowed.get(k)))}
    count = max((len(c) for c in choices.values()), default=1)
    return [
        ImageRequest(EXAMPLE_PROMPT, **{k: c[i % len(c)] for k, c in choices.items()})
        for i in range(count)
    ]


def cover(*axes: list[Any]) -> list[tuple[Any, ...]]:
    """Tuples that between them hold every value of every axis at least once."""
    count = max(len(axis) for axis in axes)
    return [tuple(axis[i % len(axis)] for axis in axes) for i in range(count)]


# -- what goes wrong ------------------------------------------------------------


def failed_outcomes(contract: Contract) -> list[str]:
    """Job endings an adapter must report as errors."""
    return sorted(n for n, outcome in contract.outcomes.items() if outcome.kind != "succeeded")


def permanent_refusals(contract: Contract) -> list[str]:
    """Refusals that a retry cannot fix (bad key, no credits, bad request, ...)."""
    return sorted(
        n
        for n, case in contract.errors.items()
        if case.scenario and n in SCENARIOS and not SCENARIOS[n].retryable
    )


def withheld_outcomes(contract: Contract) -> list[str]:
    """Job endings that succeed but withhold an image (xAI's per-image moderation)."""
    return sorted(n for n, outcome in contract.outcomes.items() if outcome.kind == "succeeded")


def passing_troubles(contract: Contract) -> list[str]:
    """Refusals and network faults that a later attempt gets past."""
    refusals = [
        n
        for n, case in contract.errors.items()
        if case.scenario and n in SCENARIOS and SCENARIOS[n].retryable
    ]
    # A hang needs the client's own timeout; a slow answer still arrives. The rest fail
    # fast; truncated-body loses the answer to a request that was processed.
    faults = [n for n in sorted(NETWORK_SCENARIOS) if n not in ("hang", "slow-response")]
    return sorted(refusals) + faults


def trouble_places(contract: Contract) -> list[str]:
    """Where a trouble can strike: submits, reads (status, results), media downloads."""
    kinds = {op.kind for op in contract.operations}
    return [kind for kind in ("submit", "read", "media") if kind in kinds]


def operations_of(contract: Contract, kind: str) -> list[str]:
    return [op.id for op in contract.operations if op.kind == kind]
