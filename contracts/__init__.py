"""Machine-readable contracts for every emulated provider surface.

Data only: operations, parameters, error catalogue, lifecycle vocabulary,
retention and fidelity notes. The emulator validates and renders with these;
nothing here imports the emulator or any web framework.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from contracts._common import XAI_RATIOS
from contracts._model import (
    FALLBACKS,
    MISSING,
    Auth,
    Billing,
    Contract,
    ErrorCase,
    GrpcSurface,
    JobOutcome,
    Lifecycle,
    Limits,
    Model,
    Note,
    Operation,
    Param,
    ResponseSpec,
    Retention,
    Rule,
    Source,
    TimeStyle,
    Variant,
    WebhookSpec,
    documented,
    freeze,
    from_facts,
    inferred,
    path_parts,
    thaw,
)
from contracts._schema import response_schemas
from contracts._validate import MAX_URL_LENGTH, Checked, Problem, check, describe, is_http_url
from contracts.agtcloud import AGTCLOUD
from contracts.apikley import APIKLEY, KIE
from contracts.media import SIZES, PixelSize, nearest_ratio, pixel_size, producible_sizes
from contracts.pixazo import PIXAZO
from contracts.scenarios import (
    NETWORK_SCENARIOS,
    OUTCOME_SCENARIOS,
    SCENARIOS,
    TIMING_SCENARIOS,
    Scenario,
)
from contracts.segmind import SEGMIND
from contracts.xai import XAI

CONTRACTS: Mapping[str, Contract] = MappingProxyType(
    {c.provider: c for c in (SEGMIND, PIXAZO, APIKLEY, KIE, AGTCLOUD, XAI)}
)


def get_contract(provider: str) -> Contract:
    try:
        return CONTRACTS[provider]
    except KeyError:
        known = ", ".join(sorted(CONTRACTS))
        raise KeyError(f"unknown provider {provider!r}; known providers: {known}") from None


__all__ = [
    "CONTRACTS",
    "FALLBACKS",
    "MAX_URL_LENGTH",
    "MISSING",
    "NETWORK_SCENARIOS",
    "OUTCOME_SCENARIOS",
    "SCENARIOS",
    "SIZES",
    "TIMING_SCENARIOS",
    "XAI_RATIOS",
    "Auth",
    "Billing",
    "Checked",
    "Contract",
    "ErrorCase",
    "GrpcSurface",
    "JobOutcome",
    "Lifecycle",
    "Limits",
    "Model",
    "Note",
    "Operation",
    "Param",
    "PixelSize",
    "Problem",
    "ResponseSpec",
    "Retention",
    "Rule",
    "Scenario",
    "Source",
    "TimeStyle",
    "Variant",
    "WebhookSpec",
    "check",
    "describe",
    "documented",
    "freeze",
    "from_facts",
    "get_contract",
    "inferred",
    "is_http_url",
    "nearest_ratio",
    "path_parts",
    "pixel_size",
    "producible_sizes",
    "response_schemas",
    "thaw",
]
