"""Hypothesis strategies drawn from the contracts: valid submits and broken ones.

Valid bodies respect every per-field constraint and the operation's rules,
leave out callback URLs (nothing should be contacted) and use small data-URI
images wherever an input image is asked for. Broken bodies break exactly one
thing and say what, so a failure names its cause.

Needs hypothesis (the `pytest` extra); nothing else in `contracts` imports it.
"""

from __future__ import annotations

import base64
import io
import string
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

try:
    from hypothesis import strategies as st
except ModuleNotFoundError:  # pragma: no cover - exercised in a subprocess
    raise ModuleNotFoundError(
        "contracts.strategies is built on hypothesis, which is not installed: "
        "pip install 'grok-imagine-mock[pytest]'",
        name="hypothesis",
    ) from None

from contracts._model import Contract, Model, Operation, Param, Rule
from contracts.record import record

__all__ = [
    "BrokenSubmit",
    "Submit",
    "broken_submits",
    "data_uri_images",
    "minimal_submit",
    "prompts",
    "sample_image",
    "submit_models",
    "submits",
    "valid_body",
    "valid_value",
]

# Prompts stay clear of "[mock:...]" tokens, which name scenarios.
_PROMPT_ALPHABET = string.ascii_letters + string.digits + " .,'-!?éü"
_TEXT_CAP = 40


@record
class Submit:
    """A submit request: where it goes and the JSON body it carries."""

    operation: Operation
    model: Model
    path: str
    body: dict[str, Any]


@record
class BrokenSubmit:
    operation: Operation
    model: Model
    path: str
    problem: str
    # A JSON value to send, or raw bytes (for a body that is not JSON at all).
    body: Any


@lru_cache(maxsize=1)
def _images() -> tuple[str, ...]:
    from PIL import Image

    uris = []
    for width, height, colour in ((8, 8, "red"), (16, 9, "teal"), (6, 8, "gold")):
        buffer = io.BytesIO()
        Image.new("RGB", (width, height), colour).save(buffer, "PNG")
        uris.append("data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode())
    return tuple(uris)


def sample_image() -> str:
    """One small PNG as a data: URI, for places that need a readable image."""
    return _images()[0]


def data_uri_images() -> st.SearchStrategy[str]:
    """Small PNG images as data: URIs, of a few shapes."""
    return st.sampled_from(_images())


def valid_value(param: Param, refused: Iterable[Any] = ()) -> st.SearchStrategy[Any]:
    """A value `param` accepts (`refused`: listed values the provider turns down)."""
    skip = set(refused)
    if param.enum is not None:
        return st.sampled_from([v for v in param.enum if v not in skip])
    if param.type == "string":
        return _text(param)
    if param.type == "integer":
        low = param.minimum if param.minimum is not None else -1000
        high = param.maximum if param.maximum is not None else low + 1000
        return st.integers(int(low), int(high))
    if param.type == "number":
        low = param.minimum if param.minimum is not None else -1000.0
        high = param.maximum if param.maximum is not None else low + 1000.0
        return st.floats(float(low), float(high), allow_nan=False)
    if param.type == "boolean":
        return st.booleans()
    if param.type == "array":
        assert param.items is not None, f"{param.name}: an array needs its items"
        low = param.min_items or 0
        high = min(param.max_items if param.max_items is not None else 3, max(low, 3))
        return st.lists(valid_value(param.items), min_size=low, max_size=high)
    if param.properties:
        return valid_body(param.properties, param.rules)
    return st.just({})


def _text(param: Param) -> st.SearchStrategy[str]:
    if param.format in ("image", "url-or-data"):
        return data_uri_images()
    if param.format == "uri":
        return st.just("https://hooks.example.com/grok-imagine")
    if param.format == "date-time":
        return st.just("2026-01-01T00:00:00Z")
    low = param.min_length or 0
    high = param.max_length if param.max_length is not None else _TEXT_CAP
    high = max(low, min(high, _TEXT_CAP))
    odd = st.text(_PROMPT_ALPHABET, min_size=low, max_size=high).filter(
        lambda s: not low or s.strip()
    )
    if param.name != "prompt":
        return odd
    fitting = prompts().filter(lambda p: low <= len(p) <= (param.max_length or len(p)))
    return st.one_of(fitting, odd)


_STYLES = ("photograph", "watercolour", "oil painting", "3D render", "pencil sketch", "poster")
_HOURS = ("at dawn", "at dusk", "at night", "in the rain", "under neon light", "in winter")


def _prompt(seed: int) -> str:
    from faker import Faker  # each draw its own instance: no state shared between draws

    fake = Faker("en_US")
    fake.seed_instance(seed)
    style, hour = fake.random_element(_STYLES), fake.random_element(_HOURS)
    who = f"{fake.first_name()}, a {fake.job().lower()}"
    return f"A {style} of {who}, in {fake.city()} {hour}; {fake.color_name().lower()} tones"


def prompts() -> st.SearchStrategy[str]:
    """Realistic image prompts (Faker, seeded by the draw: a failing example replays)."""
    return st.integers(min_value=0, max_value=2**32 - 1).map(_prompt)


def _wanted(param: Param) -> bool:
    """Optional fields a valid body may carry: not callbacks, not opaque objects."""
    return param.format != "uri" and not (param.type == "object" and not param.properties)


def valid_body(
    params: Iterable[Param], rules: Iterable[Rule] = ()
) -> st.SearchStrategy[dict[str, Any]]:
    params = tuple(params)
    rules = tuple(rules)
    refused = {r.fields[0]: r.values for r in rules if r.kind == "refused"}
    exclusive = [r.fields for r in rules if r.kind in ("exactly-one", "at-least-one")]
    alone = {name for group in exclusive for name in group}

    def strategy(chosen: str | None) -> st.SearchStrategy[dict[str, Any]]:
        required = {
            p.name: valid_value(p, refused.get(p.name, ()))
            for p in params
            if (p.required and p.name not in alone) or p.name == chosen
        }
        optional = {
            p.name: valid_value(p, refused.get(p.name, ()))
            for p in params
            if not p.required and p.name not in alone and _wanted(p)
        }
        return st.fixed_dictionaries(required, optional=optional)

    choices: list[str | None] = [name for group in exclusive for name in group]
    drawn = st.one_of([strategy(name) for name in choices or [None]])
    implied = [r for r in rules if r.kind == "implies"]
    return drawn.map(lambda body: _apply(body, implied)) if implied else drawn


def _apply(body: dict[str, Any], rules: list[Rule]) -> dict[str, Any]:
    for rule in rules:
        given, then = rule.fields
        if body.get(given) == rule.when and body.get(then) not in rule.values:
            body = {**body, then: rule.values[0]}
    return body


def submit_models(contract: Contract) -> list[Model]:
    """Models a valid submit can name: upscales need a finished task first, so not those."""
    return [m for m in contract.models.values() if m.task != "upscale"]


def _body_strategy(
    contract: Contract, operation: Operation, model: Model
) -> st.SearchStrategy[dict[str, Any]]:
    if operation.model_in in ("path", "route"):
        return valid_body(model.params, operation.rules)
    top = [p for p in operation.params if p.name != "model" and p.name != operation.model_params_at]
    outer = valid_body(top, operation.rules)
    if operation.model_params_at:
        inner = valid_body(model.params)
        where = operation.model_params_at
        return st.builds(lambda o, i: {"model": model.id, **o, where: i}, outer, inner)
    return outer.map(lambda body: {"model": model.id, **body})


def submits(
    contract: Contract, operations: Iterable[str] | None = None
) -> st.SearchStrategy[Submit]:
    """Valid submits to any (or the named) submit operations of `contract`."""
    options = []
    for operation in contract.operations:
        if operation.kind != "submit" or (
            operations is not None and operation.id not in operations
        ):
            continue
        for model in submit_models(contract):
            options.append(
                _body_strategy(contract, operation, model).map(
                    _maker(operation, model, operation.path_for(model))
                )
            )
    return st.one_of(options)


def _maker(operation: Operation, model: Model, path: str) -> Callable[[dict[str, Any]], Submit]:
    return lambda body: Submit(operation, model, path, body)


def _minimal(param: Param) -> Any:
    if param.enum is not None:
        return param.enum[0]
    if param.type == "string":
        return sample_image() if param.format in ("image", "url-or-data") else "a lighthouse"
    if param.type in ("integer", "number"):
        return param.minimum if param.minimum is not None else 1
    if param.type == "boolean":
        return False
    if param.type == "array":
        assert param.items is not None
        return [_minimal(param.items)] * max(param.min_items or 1, 1)
    return _minimal_body(param.properties, param.rules)


def _minimal_body(params: Iterable[Param], rules: Iterable[Rule] = ()) -> dict[str, Any]:
    params = tuple(params)
    body = {p.name: _minimal(p) for p in params if p.required}
    for rule in rules:
        if rule.kind in ("exactly-one", "at-least-one") and not any(n in body for n in rule.fields):
            first = next(p for p in params if p.name == rule.fields[0])
            body[first.name] = _minimal(first)
    return body


def minimal_submit(contract: Contract) -> Submit:
    """The smallest valid submit to the contract's first submit operation and model."""
    operation = next(op for op in contract.operations if op.kind == "submit")
    model = submit_models(contract)[0]
    if operation.model_in in ("path", "route"):
        body = _minimal_body(model.params, operation.rules)
    else:
        top = [p for p in operation.params if p.name not in ("model", operation.model_params_at)]
        body = {"model": model.id, **_minimal_body(top, operation.rules)}
        if operation.model_params_at:
            body[operation.model_params_at] = _minimal_body(model.params)
    return Submit(operation, model, operation.path_for(model), body)


# -- broken bodies ------------------------------------------------------------------

_WRONG = {
    "string": 12345,
    "integer": "3",
    "number": "3.5",
    "boolean": "yes",
    "array": "not-a-list",
    "object": ["not", "an", "object"],
}


def _breakages(params: tuple[Param, ...], body: dict[str, Any], at: str) -> list[tuple[str, Any]]:
    """Each way to break `body` once: (what is wrong, the broken body)."""
    out: list[tuple[str, Any]] = []
    for param in params:
        where = f"{at}{param.name}"
        if param.required:
            out.append((f"{where} missing", {k: v for k, v in body.items() if k != param.name}))
        out.append((f"{where} of the wrong type", {**body, param.name: _WRONG[param.type]}))
        if param.enum is not None:
            out.append((f"{where} not one of its values", {**body, param.name: "no-such-value"}))
        if param.maximum is not None:
            out.append((f"{where} above its maximum", {**body, param.name: param.maximum + 1}))
        if param.minimum is not None:
            out.append((f"{where} below its minimum", {**body, param.name: param.minimum - 1}))
        if param.max_length is not None:
            too_long = "x" * (param.max_length + 1)
            out.append((f"{where} too long", {**body, param.name: too_long}))
        if param.min_length:
            out.append((f"{where} empty", {**body, param.name: ""}))
    return out


def _labelled(label: str, rest: dict[str, Any]) -> Callable[[dict[str, Any]], tuple[str, Any]]:
    return lambda given: (label, {**rest, **given})


def _rule_breakages(
    rules: tuple[Rule, ...], params: tuple[Param, ...], body: dict[str, Any], model: str
) -> list[st.SearchStrategy[tuple[str, Any]]]:
    by_name = {p.name: p for p in params}
    out: list[st.SearchStrategy[tuple[str, Any]]] = []
    for rule in rules:
        if rule.models and model not in rule.models:
            continue
        if rule.kind in ("exactly-one", "at-least-one"):
            rest = {k: v for k, v in body.items() if k not in rule.fields}
            out.append(st.just((f"none of {', '.join(rule.fields)}", rest)))
            if rule.kind == "at-least-one":
                continue
            both = st.fixed_dictionaries({n: valid_value(by_name[n]) for n in rule.fields})
            out.append(both.map(_labelled(f"both {' and '.join(rule.fields)}", rest)))
        elif rule.kind == "implies":
            given, then = rule.fields
            choices = by_name[then].enum or ("no-such-value",)
            wrong = next((v for v in choices if v not in rule.values), "no-such-value")
            label = f"{given} {rule.when!r} with {then} {wrong!r}"
            out.append(st.just((label, {**body, given: rule.when, then: wrong})))
        else:
            (name,) = rule.fields
            out += [
                st.just((f"{name} {value!r}, which is refused", {**body, name: value}))
                for value in rule.values
            ]
    return out


def broken_submits(contract: Contract) -> st.SearchStrategy[BrokenSubmit]:
    """Submits with exactly one thing wrong, or a body that is not a JSON object."""

    def breakages(submit: Submit) -> st.SearchStrategy[BrokenSubmit]:
        operation, model = submit.operation, submit.model
        if operation.model_in in ("path", "route"):
            ways = _breakages(model.params, submit.body, "")
        else:
            top = tuple(p for p in operation.params if p.name != operation.model_params_at)
            ways = _breakages(top, submit.body, "")
            if operation.model_params_at:
                where = operation.model_params_at
                inner = submit.body[where]
                ways += [
                    (problem, {**submit.body, where: broken})
                    for problem, broken in _breakages(model.params, inner, f"{where}.")
                ]
        by_rule = _rule_breakages(operation.rules, operation.params, submit.body, model.id)
        ways += [
            ("a JSON array, not an object", [submit.body]),
            ("a JSON string, not an object", "prompt"),
            ("not JSON at all", b'{"prompt": '),
            ("an empty body", b""),
        ]
        return st.one_of(st.sampled_from(ways), *by_rule).map(
            lambda way: BrokenSubmit(operation, model, submit.path, way[0], way[1])
        )

    return submits(contract).flatmap(breakages)
