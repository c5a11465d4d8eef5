"""JSON Schemas from contracts: request bodies from parameters, answers from specs.

Response bodies are closed (`additionalProperties: false`): a field the
emulator sends that the contract does not name is a contract bug, and the
self-conformance tests catch it. Request bodies stay open, since the
gateways ignore fields they do not know.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from contracts._model import Contract, ErrorCase, Model, Operation, Param, Rule, thaw

Schema = dict[str, Any]

__all__ = [
    "Schema",
    "array",
    "binary",
    "boolean",
    "const",
    "enum",
    "error_schema",
    "integer",
    "nullable",
    "number",
    "obj",
    "param_schema",
    "params_schema",
    "request_schema",
    "response_schemas",
    "string",
    "uri",
]

# -- builders for the contracts' response schemas --------------------------------


def obj(
    properties: Mapping[str, Schema], optional: Iterable[str] = (), *, closed: bool = True
) -> Schema:
    """An object whose properties are all required except `optional`."""
    skip = set(optional)
    schema: Schema = {"type": "object", "properties": dict(properties)}
    required = [name for name in properties if name not in skip]
    if required:
        schema["required"] = required
    if closed:
        schema["additionalProperties"] = False
    return schema


def string(**more: Any) -> Schema:
    return {"type": "string", **more}


def uri() -> Schema:
    return {"type": "string", "format": "uri"}


def integer(**more: Any) -> Schema:
    return {"type": "integer", **more}


def number(**more: Any) -> Schema:
    return {"type": "number", **more}


def boolean() -> Schema:
    return {"type": "boolean"}


def const(value: Any) -> Schema:
    return {"const": value}


def enum(*values: Any) -> Schema:
    return {"enum": list(values)}


def array(items: Schema, **more: Any) -> Schema:
    return {"type": "array", "items": items, **more}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def binary() -> Schema:
    return {"type": "string", "format": "binary"}


# -- requests ----------------------------------------------------------------


def param_schema(param: Param) -> Schema:
    schema: Schema = {"type": param.type}
    if param.description:
        schema["description"] = param.description
    if param.enum is not None:
        schema["enum"] = list(param.enum)
    for key, value in (
        ("minimum", param.minimum),
        ("maximum", param.maximum),
        ("minLength", param.min_length),
        ("maxLength", param.max_length),
        ("minItems", param.min_items),
        ("maxItems", param.max_items),
    ):
        if value is not None:
            schema[key] = value
    if param.format in ("uri", "url"):
        schema["format"] = "uri"
        schema["pattern"] = "^https?://[^/?#]+"
    elif param.format is not None:
        # "image" and "url-or-data": an http(s) URL, a data: URI or (image) base64.
        schema["x-grok-mock-format"] = param.format
    if param.items is not None:
        schema["items"] = param_schema(param.items)
    if param.properties:
        schema.update(params_schema(param.properties, param.rules))
    if param.has_default and param.default is not None:
        schema["default"] = param.default
    return schema


def params_schema(params: Iterable[Param], rules: Iterable[Rule] = ()) -> Schema:
    """An open object: the documented fields with their constraints.

    An optional field may also be null, which reads as "not given" (clients
    serialise unset fields that way).
    """
    params = tuple(params)
    schema: Schema = {
        "type": "object",
        "properties": {p.name: _optional(param_schema(p), p) for p in params},
    }
    required = [p.name for p in params if p.required]
    if required:
        schema["required"] = required
    constraints = [_rule_schema(rule) for rule in rules]
    if constraints:
        schema["allOf"] = constraints
    return schema


def _present(name: str) -> Schema:
    # A null reads as "not given", so presence means present and not null.
    return {"required": [name], "properties": {name: {"not": {"type": "null"}}}}


def _rule_schema(rule: Rule) -> Schema:
    """A cross-field rule as JSON Schema (`if`/`then` where a model or value decides)."""
    if rule.kind == "exactly-one":
        return {"oneOf": [_present(name) for name in rule.fields]}
    if rule.kind == "at-least-one":
        return {"anyOf": [_present(name) for name in rule.fields]}
    if rule.kind == "implies":
        given, then = rule.fields
        return {
            "if": {"required": [given], "properties": {given: {"const": rule.when}}},
            "then": {"properties": {then: {"enum": [*rule.values, None]}}},
        }
    (name,) = rule.fields
    refused: Schema = {"properties": {name: {"not": {"enum": list(rule.values)}}}}
    if not rule.models:
        return refused
    return {
        "if": {"required": ["model"], "properties": {"model": {"enum": list(rule.models)}}},
        "then": refused,
    }


def _optional(schema: Schema, param: Param) -> Schema:
    if param.required:
        return schema
    schema = {**schema, "type": [schema["type"], "null"]}
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    return schema


def request_schema(operation: Operation, model: Model | None) -> Schema | None:
    """The body a submit takes for `model` (None: the operation has no body)."""
    if operation.model_in in ("path", "route"):
        return params_schema(model.params, operation.rules) if model is not None else None
    if operation.model_in != "body":
        return None
    schema = params_schema(operation.params, operation.rules)
    if model is not None and operation.model_params_at:
        properties = dict(schema["properties"])
        named = {k: v for k, v in properties.get("model", {}).items() if k != "enum"}
        properties["model"] = {**named, "type": "string", "const": model.id}
        properties[operation.model_params_at] = params_schema(model.params)
        schema["properties"] = properties
    return schema


# -- responses ----------------------------------------------------------------


def _template_schema(template: Any) -> Schema:
    if isinstance(template, str):
        name = template[1:-1]
        if template == "{" + name + "}" and name.isidentifier() and name != "message":
            return {}  # a lone placeholder keeps its value's type (the message is text)
        return {"type": "string"}
    if isinstance(template, bool):
        return {"const": template}
    if isinstance(template, (int, float)):
        return {"const": template}  # codes in a body are part of the contract
    if template is None:
        return {"type": "null"}
    if isinstance(template, Mapping):
        return obj({str(k): _template_schema(v) for k, v in template.items()})
    if isinstance(template, (list, tuple)):
        return {"type": "array", "items": {"anyOf": [_template_schema(v) for v in template]}}
    return {}


def error_schema(case: ErrorCase) -> Schema:
    """The body an error case renders to."""
    if case.content_type != "application/json":
        return string()
    return _template_schema(case.body)


def response_schemas(
    contract: Contract, operation: Operation, model: Model | None = None
) -> dict[int, dict[str, list[Schema]]]:
    """Every answer the operation may give: status -> content type -> candidate schemas.

    The operation's own specs (those for `model`, when given), then every error
    case of the provider: any request can be refused by a scenario or auth.
    """
    out: dict[int, dict[str, list[Schema]]] = {}

    def add(status: int, content_type: str, schema: Schema) -> None:
        candidates = out.setdefault(status, {}).setdefault(content_type, [])
        if schema not in candidates:
            candidates.append(schema)

    for spec in operation.responses:
        if model is not None and spec.models and model.id not in spec.models:
            continue
        add(spec.status, spec.content_type, thaw(spec.schema) if spec.schema else {})
    for case in contract.errors.values():
        add(case.status, case.content_type, error_schema(case))
    return out
