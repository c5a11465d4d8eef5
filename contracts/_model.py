"""The vocabulary every provider contract is written in.

A contract is plain, frozen data. Each element carries a `Source` saying whether
the provider's page states it (`documented`), another public source does
(`facts`, pointing into docs/SOURCES.md), or we had to choose it (`inferred`, with the
reason), so users can see how faithful any response is.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import field, fields, replace
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal

# Re-exported: the contract modules write in these words too.
from contracts._base import MISSING as MISSING
from contracts._base import JsonType as JsonType
from contracts._base import OperationKind as OperationKind
from contracts._base import ScenarioKind as ScenarioKind
from contracts._base import Source as Source
from contracts._base import SourceKind as SourceKind
from contracts._base import TimeStyle as TimeStyle
from contracts._base import _Missing, freeze_fields
from contracts._base import documented as documented
from contracts._base import freeze as freeze
from contracts._base import from_facts as from_facts
from contracts._base import inferred as inferred
from contracts._base import thaw as thaw
from contracts._errors import FALLBACKS as FALLBACKS
from contracts._errors import RETRYABLE_CODES as RETRYABLE_CODES
from contracts._errors import ErrorCase as ErrorCase
from contracts.record import record

_PATH_PARAM = re.compile(r"\{(\w+)\}")


def path_parts(path: str) -> tuple[str, ...]:
    """An operation path's literal text and `{parameter}` names, alternately: the text
    before the first parameter, its name, the text up to the next, and so on."""
    return tuple(_PATH_PARAM.split(path))


@record
class Rule:
    """A constraint across fields that per-field constraints cannot say.

    - "exactly-one": exactly one of `fields` is given;
    - "at-least-one": one or more of `fields` is given;
    - "implies": when `fields[0]` is `when`, `fields[1]` must be one of `values`;
    - "refused": `fields[0]` may not be any of `values` (listed, but refused).

    `models` limits the rule to those models (empty: every model); `message`, when
    given, is what a broken rule says (`{path}` is the object's own path).
    """

    kind: Literal["exactly-one", "at-least-one", "implies", "refused"]
    fields: tuple[str, ...]
    source: Source
    when: Any = None
    values: tuple[Any, ...] = ()
    models: tuple[str, ...] = ()
    message: str = ""


@record
class Param:
    """One request field, with the constraints the provider documents."""

    name: str
    type: JsonType
    source: Source
    description: str = ""
    required: bool = False
    default: Any = MISSING
    enum: tuple[Any, ...] | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    min_length: int | None = None
    max_length: int | None = None
    format: str | None = None
    items: Param | None = None
    min_items: int | None = None
    max_items: int | None = None
    properties: tuple[Param, ...] = ()
    # Constraints across `properties`, for an object.
    rules: tuple[Rule, ...] = ()

    @property
    def has_default(self) -> bool:
        return self.default is not MISSING


@record
class ResponseSpec:
    """What an operation answers with one status code and content type.

    `schema` is the body's JSON Schema (2020-12); `models` limits the answer to
    some models (empty: every model); `headers` names response headers.
    """

    status: int
    description: str
    source: Source
    content_type: str = "application/json"
    example: Any = None
    schema: Mapping[str, Any] | None = None
    models: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        freeze_fields(self, "example", "schema", "headers")


@record
class WebhookSpec:
    """A callback the provider sends: its body's JSON Schema and headers."""

    name: str
    description: str
    source: Source
    schema: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        freeze_fields(self, "schema", "headers")


@record
class Operation:
    """One endpoint.

    A submit names its model in one of three ways (`model_in`): the path's one
    parameter holds the model id ("path"), each model has its own path
    ("route", `Model.route`), or a body field does ("body": `params` are the
    body's fields and, with `model_params_at`, the model's own parameters sit
    under that field). `query` and `headers` are request parameters outside
    the body.
    """

    id: str
    method: str
    path: str
    summary: str
    kind: OperationKind
    source: Source
    responses: tuple[ResponseSpec, ...] = ()
    model_in: Literal["path", "route", "body"] | None = None
    params: tuple[Param, ...] = ()
    model_params_at: str | None = None
    query: tuple[Param, ...] = ()
    headers: tuple[Param, ...] = ()
    rules: tuple[Rule, ...] = ()
    # A read's parameter (in the path, else the query) naming the job it reads.
    job_param: str | None = None

    def path_for(self, model: Model) -> str:
        """Where a submit for `model` goes: its route, or the path with the model id in it."""
        if self.model_in == "route":
            return model.route
        if self.model_in == "path":
            start, end = self.path.index("{"), self.path.index("}")
            return self.path[:start] + model.id + self.path[end + 1 :]
        return self.path


@record
class Model:
    """A model (Segmind slug, Pixazo model path, ...) and what it accepts."""

    id: str
    params: tuple[Param, ...]
    source: Source
    price_per_image: Decimal
    price_source: Source
    returns: Literal["image", "json"] = "json"
    returns_source: Source | None = None
    # Where a provider with one path per model serves it, and what it does.
    route: str = ""
    task: Literal["text-to-image", "edit", "upscale"] = "text-to-image"

    def param(self, name: str) -> Param:
        for param in self.params:
            if param.name == name:
                return param
        raise KeyError(name)


@record
class JobOutcome:
    """How a job-shaped scenario ends on this provider (`code`: its failure code, if any)."""

    kind: Literal["succeeded", "failed", "errored"]
    message: str
    source: Source
    code: str = ""


@record
class Limits:
    """Per-account limits the provider documents; enforced in the realistic profile."""

    concurrent: int | None
    per_hour: int | None
    source: Source


@record
class Lifecycle:
    """The provider's own status words and how long each phase lasts.

    `durations` maps a timed profile to the seconds spent in each of
    `phases`; the job is terminal after the last one.
    """

    phases: tuple[str, ...]
    succeeded: str
    failed: str
    errored: str | None
    durations: Mapping[str, tuple[float, ...]]
    source: Source
    durations_source: Source

    def __post_init__(self) -> None:
        freeze_fields(self, "durations")

    def word(self, phase: int, outcome: str) -> str:
        """The provider's word for a job in `phase` (waiting phases first, then the end,
        which `outcome` names: succeeded, failed or errored)."""
        if phase < len(self.phases):
            return self.phases[phase]
        if outcome == "succeeded":
            return self.succeeded
        if outcome == "errored" and self.errored:
            return self.errored
        return self.failed


@record
class Retention:
    record_seconds: float
    record_source: Source
    media_seconds: float
    media_source: Source


@record
class Billing:
    """Which job outcomes are charged, per image, and in what unit."""

    charged: tuple[Literal["succeeded", "failed", "errored"], ...]
    unit: str
    source: Source
    # Flat fees by scenario, charged once when such a job ends (xAI bills moderation).
    fees: Mapping[str, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        freeze_fields(self, "fees")


@record
class Auth:
    """Where the key goes: `header`, after `scheme` (Bearer) when there is one."""

    header: str
    scheme: str | None
    source: Source
    # Headers that, sent instead of `header`, are a wrong key rather than a missing one.
    foreign: tuple[str, ...] = ()
    # How much of a key the provider's own messages show: (first, last) characters.
    hint: tuple[int, int] = (2, 2)


@record
class Note:
    """A fidelity note on behaviour that is not a field: ordering, billing, ..."""

    topic: str
    text: str
    source: Source


@record
class GrpcSurface:
    """One gRPC method served by translating it onto a REST contract's operations."""

    service: str
    method: str
    source: Source
    # Enum value names -> the REST field's value, per REST field.
    enums: Mapping[str, Mapping[str, str]]
    # The REST error body's `code` -> the gRPC status sent instead, and why.
    statuses: Mapping[str, str]
    statuses_source: Source
    # gRPC status for an error whose `code` is not in `statuses`, by HTTP status.
    fallback: Mapping[int, str]
    notes: tuple[Note, ...] = ()

    def __post_init__(self) -> None:
        freeze_fields(self, "enums", "statuses", "fallback")


@record
class Variant:
    """Another observed form of the same surface (what older captures show, say), chosen
    per provider in the settings: its error cases replace the contract's by name."""

    description: str
    source: Source
    errors: Mapping[str, ErrorCase]

    def __post_init__(self) -> None:
        freeze_fields(self, "errors")


@record
class Contract:
    provider: str
    title: str
    pages: tuple[str, ...]
    hosts: tuple[str, ...]
    prefix: str
    auth: Auth
    operations: tuple[Operation, ...]
    models: Mapping[str, Model]
    errors: Mapping[str, ErrorCase]
    outcomes: Mapping[str, JobOutcome]
    lifecycle: Lifecycle
    retention: Retention
    billing: Billing
    media_path: str
    notes: tuple[Note, ...] = ()
    limits: Limits | None = None
    webhooks: tuple[WebhookSpec, ...] = ()
    # How new job ids look: {uuid4}, {uuid7}, {hexN} and {model} are filled in.
    job_ids: str = "{uuid4}"
    # How times are written in bodies.
    times: TimeStyle = "iso-millis"
    # The request bodies read; None reads JSON whatever the Content-Type says.
    content_types: tuple[str, ...] | None = None
    # The case for a body that does not deserialize (a missing or ill-typed field, an
    # unknown enum value); None answers it as any other validation error.
    shape_error: str | None = None
    # Scenarios the provider plays in normal operation, which every client must ride out
    # (Kie's "recordInfo is null" for a moment after createTask): adapter checks draw them
    # on successful generations.
    tolerated: tuple[str, ...] = ()
    # The same operations over gRPC (xAI's Image service for its SDK), if the provider has it.
    grpc: GrpcSurface | None = None
    # Other observed forms of this surface, by name (the default form is the contract).
    variants: Mapping[str, Variant] = field(default_factory=dict)
    # The variant this contract is in; None is the default form.
    variant: str | None = None

    def __post_init__(self) -> None:
        freeze_fields(self, "models", "errors", "outcomes", "variants")
        for name, chosen in self.variants.items():
            unknown = sorted(set(chosen.errors) - set(self.errors))
            if unknown:
                raise ValueError(f"{self.provider} variant {name}: no case {', '.join(unknown)}")

    def in_variant(self, name: str | None) -> Contract:
        """This contract in variant `name` (None: as it is)."""
        if name is None or name == self.variant:
            return self
        if name not in self.variants:
            known = ", ".join(self.variants) or "none"
            raise ValueError(f"{self.provider} has no variant {name!r}; known: {known}")
        errors = {**self.errors, **self.variants[name].errors}
        return replace(self, errors=errors, variant=name)

    def operation(self, operation_id: str) -> Operation:
        return self._operations_by_id[operation_id]

    def job_path(self, operation_id: str, job_id: str) -> str:
        """The path of an operation on one job: `job_id` in its one path parameter (what
        every link a response carries is)."""
        parts = self._path_parts[operation_id]
        if len(parts) != 3:
            raise ValueError(f"{operation_id} has {len(parts) // 2} path parameters, not one")
        return parts[0] + job_id + parts[2]

    @functools.cached_property
    def _path_parts(self) -> Mapping[str, tuple[str, ...]]:
        # Literal text and parameter names, alternately: split once, not parsed by
        # str.format on every link (a third of a status read's rendering).
        return MappingProxyType({op.id: path_parts(op.path) for op in self.operations})

    @functools.cached_property
    def _operations_by_id(self) -> Mapping[str, Operation]:
        # Every link a response carries looks its operation up: once, not a scan each time.
        return MappingProxyType({op.id: op for op in self.operations})

    def error_case(self, name: str) -> ErrorCase:
        """The case answering `name`: its own, else its nearest relative's (FALLBACKS)."""
        seen = name
        while seen not in self.errors:
            seen = FALLBACKS.get(seen, "server-error")
            if seen == "server-error" and seen not in self.errors:
                raise KeyError(f"{self.provider} has no error case for {name!r}")
        return self.errors[seen]

    def to_dict(self) -> dict[str, Any]:
        """The whole contract as JSON-ready data."""
        return _plain(self)  # type: ignore[no-any-return]


def _plain(value: Any) -> Any:
    if isinstance(value, _Missing):
        return None
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "__dataclass_fields__"):
        out = {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
        if isinstance(value, Param) and not value.has_default:
            out.pop("default")
        return out
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
