"""The vocabulary every provider contract is written in.

A contract is plain, frozen data. Each element carries a `Source` saying whether
the provider's page states it (`documented`), another public source does
(`facts`, pointing into FACTS.md), or we had to choose it (`inferred`, with the
reason), so users can see how faithful any response is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal

SourceKind = Literal["documented", "facts", "inferred"]
# How a provider writes times in its bodies.
TimeStyle = Literal["iso-millis", "iso-seconds", "epoch-millis", "epoch-seconds"]
JsonType = Literal["string", "integer", "number", "boolean", "array", "object"]
OperationKind = Literal["submit", "read", "media"]
ScenarioKind = Literal["outcome", "timing", "refusal", "network"]


@dataclass(frozen=True)
class Source:
    kind: SourceKind
    ref: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "ref": self.ref}


def documented(page: str) -> Source:
    """Stated on the provider page `page`."""
    return Source("documented", page)


def from_facts(section: str) -> Source:
    """Stated by a public source gathered in FACTS.md, section `section`."""
    return Source("facts", section)


def inferred(reason: str) -> Source:
    """Chosen by us; `reason` says why."""
    return Source("inferred", reason)


def freeze(value: Any) -> Any:
    """`value` with every mapping read-only and every list a tuple, all the way down:
    one test that pokes a shared contract cannot leak into every emulator."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """A plain, mutable copy of frozen JSON data (a schema for a validator, say)."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [thaw(item) for item in value]
    return value


def _freeze_fields(instance: Any, *names: str) -> None:
    for name in names:
        object.__setattr__(instance, name, freeze(getattr(instance, name)))


class _Missing:
    """Marks a parameter without a default (distinct from a default of None)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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
        _freeze_fields(self, "example", "schema", "headers")


@dataclass(frozen=True)
class WebhookSpec:
    """A callback the provider sends: its body's JSON Schema and headers."""

    name: str
    description: str
    source: Source
    schema: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _freeze_fields(self, "schema", "headers")


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


# Codes a client should retry after a while (Kie's 455 is "maintenance").
RETRYABLE_CODES = frozenset({408, 429, 455, 500, 502, 503, 504})


@dataclass(frozen=True)
class ErrorCase:
    """A provider's answer for one named failure.

    `body` is a template: string values may hold `{placeholders}` filled in
    when the error is rendered; `{message}` defaults to `message`.
    """

    name: str
    status: int
    body: Any
    source: Source
    message: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    scenario: bool = True
    # Where the message text comes from, when not from `source` itself.
    wording: Source | None = None
    # The message when the request itself names the culprit (an unknown model's name),
    # where the provider says more than its generic `message`.
    named: str = ""

    def __post_init__(self) -> None:
        _freeze_fields(self, "body", "headers")

    @property
    def code(self) -> int:
        """The status a client acts on: the body's own code where it rides on HTTP 200."""
        if self.status == 200 and isinstance(self.body, Mapping):
            code = self.body.get("code")
            if isinstance(code, int) and not isinstance(code, bool):
                return code
        return self.status

    @property
    def looks_retryable(self) -> bool:
        """Whether its code alone says "try again later" (429, 5xx, Kie's 455)."""
        return self.code in RETRYABLE_CODES

    def render(
        self, message: str | None = None, *, named: bool = False, **fields: Any
    ) -> tuple[Any, dict[str, str]]:
        """The body and headers, placeholders filled; unknown ones stay as written.

        `named`: the request named the culprit, so the `named` wording applies.
        """
        values = _Fields(fields)
        template = self.named if named and self.named else self.message
        values["message"] = message or template.format_map(values)
        headers = {name: value.format_map(values) for name, value in self.headers.items()}
        return _fill(self.body, values), headers


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(template: Any, fields: _Fields) -> Any:
    if isinstance(template, str):
        name = template[1:-1]
        if template == "{" + name + "}" and name.isidentifier():
            return fields.get(name)  # a lone placeholder keeps its value's type; unset is null
        return template.format_map(fields)
    if isinstance(template, Mapping):
        return {key: _fill(value, fields) for key, value in template.items()}
    if isinstance(template, (list, tuple)):
        return [_fill(value, fields) for value in template]
    return template


@dataclass(frozen=True)
class JobOutcome:
    """How a job-shaped scenario ends on this provider (`code`: its failure code, if any)."""

    kind: Literal["succeeded", "failed", "errored"]
    message: str
    source: Source
    code: str = ""


@dataclass(frozen=True)
class Limits:
    """Per-account limits the provider documents; enforced in the realistic profile."""

    concurrent: int | None
    per_hour: int | None
    source: Source


@dataclass(frozen=True)
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
        _freeze_fields(self, "durations")

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


@dataclass(frozen=True)
class Retention:
    record_seconds: float
    record_source: Source
    media_seconds: float
    media_source: Source


@dataclass(frozen=True)
class Billing:
    """Which job outcomes are charged, per image, and in what unit."""

    charged: tuple[Literal["succeeded", "failed", "errored"], ...]
    unit: str
    source: Source
    # Flat fees by scenario, charged once when such a job ends (xAI bills moderation).
    fees: Mapping[str, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _freeze_fields(self, "fees")


@dataclass(frozen=True)
class Auth:
    """Where the key goes: `header`, after `scheme` (Bearer) when there is one."""

    header: str
    scheme: str | None
    source: Source
    # Headers that, sent instead of `header`, are a wrong key rather than a missing one.
    foreign: tuple[str, ...] = ()
    # How much of a key the provider's own messages show: (first, last) characters.
    hint: tuple[int, int] = (2, 2)


@dataclass(frozen=True)
class Note:
    """A fidelity note on behaviour that is not a field: ordering, billing, ..."""

    topic: str
    text: str
    source: Source


# A provider without a case of its own answers with its nearest relative.
FALLBACKS: Mapping[str, str] = MappingProxyType(
    {
        "missing-key": "unauthorized",
        "malformed-body": "validation-error",
        "mock-usage": "validation-error",
        "payload-too-large": "validation-error",
        "invalid-content-type": "validation-error",
        "missing-parameter": "validation-error",
        "media-not-found": "request-not-found",
        "request-not-found": "model-not-found",
        "endpoint-not-found": "model-not-found",
        "method-not-allowed": "endpoint-not-found",
        "limit-exceeded": "rate-limited",
    }
)


@dataclass(frozen=True)
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

    def __post_init__(self) -> None:
        _freeze_fields(self, "models", "errors", "outcomes")

    def operation(self, operation_id: str) -> Operation:
        for operation in self.operations:
            if operation.id == operation_id:
                return operation
        raise KeyError(operation_id)

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
