"""What the adapter checks draw: provider-neutral requests, and what goes wrong."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from contracts import NETWORK_SCENARIOS, SCENARIOS, Contract, Model, Param
from contracts.strategies import valid_value

# The neutral fields, and the names providers give them.
_FIELDS = {
    "n": ("n", "num_images"),
    "aspect_ratio": ("aspect_ratio",),
    "resolution": ("resolution",),
    "output_format": ("output_format",),
}
NEUTRAL_FIELDS = ("prompt", *_FIELDS)
# A request for more images than this only makes examples slower, not more telling.
_MAX_N = 4


@dataclass(frozen=True)
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


def requests(
    contract: Contract, model: Model, vary: tuple[str, ...]
) -> st.SearchStrategy[ImageRequest]:
    fields = {k: v for k, v in varied_fields(contract, model).items() if k in vary}
    drawn: dict[str, st.SearchStrategy[Any]] = {}
    for neutral, param in fields.items():
        if neutral == "n":
            high = min(param.maximum or _MAX_N, _MAX_N)
            drawn[neutral] = st.integers(int(param.minimum or 1), int(high))
        elif neutral == "aspect_ratio" and param.enum is not None:
            # "auto" leaves the ratio to the model; the checks want to know what to expect.
            drawn[neutral] = st.sampled_from([v for v in param.enum if v != "auto"])
        else:
            drawn[neutral] = valid_value(param)
    prompt = valid_value(next(p for p in model_params(contract, model) if p.name == "prompt"))
    return st.builds(ImageRequest, prompt=prompt, **drawn)


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


def passing_troubles(contract: Contract) -> list[str]:
    """Refusals and network faults that a later attempt gets past."""
    refusals = [
        n
        for n, case in contract.errors.items()
        if case.scenario and n in SCENARIOS and SCENARIOS[n].retryable
    ]
    # A hang needs the client's own timeout; only faults that fail fast are drawn.
    faults = [n for n in sorted(NETWORK_SCENARIOS) if SCENARIOS[n].retryable and n != "hang"]
    return sorted(refusals) + faults
