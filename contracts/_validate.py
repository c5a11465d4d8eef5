"""Check a request body against a contract's parameters.

Messages name the parameter and say what was wrong, so a provider can put
them straight into its own error shape.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any, Literal
from urllib.parse import urlsplit

from contracts._model import MISSING, Param, Rule
from contracts.record import record

_TYPE_NAMES = {
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    list: "array",
    dict: "object",
    type(None): "null",
}


# Longer than any URL a browser or server passes on (most stop at 8 KiB); an inferred bound.
MAX_URL_LENGTH = 8192

ProblemKind = Literal["required", "type", "enum", "range", "length", "format", "items", "rule"]


@record
class Problem:
    param: str
    message: str
    # What kind of rule was broken: some providers answer shape problems (missing,
    # wrong type, unknown value) differently from out-of-range ones.
    kind: ProblemKind = "type"


@record(frozen=False, slots=True)
class Checked:
    """The outcome of a check: values with defaults filled in, and what was wrong."""

    values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def message(self) -> str:
        return "; ".join(p.message for p in self.problems)


def check(
    params: Sequence[Param],
    body: Mapping[str, Any],
    prefix: str = "",
    rules: Sequence[Rule] = (),
) -> Checked:
    """The body's values and problems: each field, then the rules between fields
    (`rules`, and each object's own), which apply once the fields themselves are right."""
    result = _fields(params, body, prefix)
    if result.ok and rules:
        model = result.values.get("model")
        result.problems = rule_problems(rules, result.values, model, prefix)
    return result


def rule_problems(
    rules: Sequence[Rule], values: Mapping[str, Any], model: Any = None, prefix: str = ""
) -> list[Problem]:
    """What the cross-field `rules` find wrong with `values` (a model's rules only for it)."""
    problems = []
    path = prefix.rstrip(".")
    for rule in rules:
        if rule.models and model not in rule.models:
            continue
        problem = _rule_problem(rule, values, prefix)
        if problem is not None:
            param, default, kind = problem
            message = rule.message.format(path=path) if rule.message else default
            problems.append(Problem(param, message, kind))
    return problems


def _rule_problem(
    rule: Rule, values: Mapping[str, Any], prefix: str
) -> tuple[str, str, ProblemKind] | None:
    present = [f for f in rule.fields if values.get(f) is not None]
    names = " or ".join(f"'{prefix}{f}'" for f in rule.fields)
    first, last = (prefix + rule.fields[0], prefix + rule.fields[-1])
    if rule.kind in ("exactly-one", "at-least-one") and not present:
        return first, f"One of {names} is required", "required"
    if rule.kind == "exactly-one" and len(present) > 1:
        return last, f"Provide either {names}, not both", "rule"
    if rule.kind == "implies" and values.get(rule.fields[0]) == rule.when:
        value = values.get(rule.fields[1])
        if value is not None and value not in rule.values:
            allowed = ", ".join(repr(v) for v in rule.values)
            return last, f"'{last}' must be {allowed} when '{first}' is {rule.when!r}", "rule"
    if rule.kind == "refused" and values.get(rule.fields[0]) in rule.values:
        return first, f"{rule.fields[0]} {values[rule.fields[0]]!r} is not supported", "rule"
    return None


def _fields(params: Sequence[Param], body: Mapping[str, Any], prefix: str) -> Checked:
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    nested: list[str] = []  # unknown fields inside object parameters
    given = 0  # body keys that are parameters: when all are, none is unknown
    for param in params:
        name = param.name
        value: Any = body.get(name)
        # An explicit null reads as "not given": clients serialise unset
        # optional fields that way, and the pages document null defaults.
        if value is None:
            given += name in body
            if param.required:
                path = prefix + name
                problems.append(Problem(path, f"'{path}' is required", "required"))
            elif param.default is not MISSING:
                values[name] = param.default
            continue
        given += 1
        path = prefix + name
        if param.type == "integer" and isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON has one number type: 4.0 is the integer 4
        problem = _check_value(param, value, path)
        if problem is not None:
            problems.append(problem)
        elif param.type == "object" and param.properties:
            inner = check(param.properties, value, f"{path}.", param.rules)
            problems.extend(inner.problems)
            nested += inner.unknown
            values[name] = inner.values
        else:
            values[name] = value
    unknown = [] if given == len(body) else _unknown(params, body, prefix)
    return Checked(values, problems, unknown + nested)


def _unknown(params: Sequence[Param], body: Mapping[str, Any], prefix: str) -> list[str]:
    known = {p.name for p in params}
    return [f"{prefix}{k}" for k in body if k not in known]


def describe(value: Any) -> str:
    """A short, safe rendering of a client value for an error message."""
    kind = _TYPE_NAMES.get(type(value), type(value).__name__)
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"{kind} {shown!r}"
    if isinstance(value, (list, dict)):
        return f"{kind} of {len(value)} item{'s' if len(value) != 1 else ''}"
    return f"{kind} {value!r}"


def is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _type_ok(param: Param, value: Any) -> bool:
    if param.type == "integer":
        whole = isinstance(value, float) and value.is_integer()
        return whole or (isinstance(value, int) and not isinstance(value, bool))
    if param.type == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if param.type == "string":
        return isinstance(value, str)
    if param.type == "boolean":
        return isinstance(value, bool)
    if param.type == "array":
        return isinstance(value, list)
    return isinstance(value, dict)


def _check_value(param: Param, value: Any, path: str) -> Problem | None:
    kind = param.type
    # Strings (most fields) are told apart here: two calls per field, not three.
    text = kind == "string"
    if not (isinstance(value, str) if text else _type_ok(param, value)):
        article = "an" if kind[0] in "aeiou" else "a"
        return Problem(path, f"'{path}' must be {article} {kind}, got {describe(value)}")
    if param.enum is not None and value not in param.enum:
        allowed = ", ".join(repr(v) for v in param.enum)
        return Problem(path, f"'{path}' must be one of {allowed}; got {describe(value)}", "enum")
    if text:
        return _check_string(param, value, path)
    if kind in ("integer", "number"):
        return _check_range(param, value, path)
    if kind == "array":
        return _check_array(param, value, path)
    return None


def _check_range(param: Param, value: float, path: str) -> Problem | None:
    low, high = param.minimum, param.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            bounds = f"between {low} and {high}"
        elif low is not None:
            bounds = f"at least {low}"
        else:
            bounds = f"at most {high}"
        return Problem(path, f"'{path}' must be {bounds}, got {value!r}", "range")
    return None


def _check_string(param: Param, value: str, path: str) -> Problem | None:
    if param.min_length is not None and len(value) < param.min_length:
        if param.min_length == 1:
            return Problem(path, f"'{path}' must not be empty", "length")
        return Problem(path, f"'{path}' must be at least {param.min_length} characters", "length")
    if param.max_length is not None and len(value) > param.max_length:
        return Problem(
            path,
            f"'{path}' is {len(value)} characters long; the maximum is {param.max_length}",
            "length",
        )
    if (
        param.format in ("uri", "url-or-data")
        and len(value) > MAX_URL_LENGTH
        and is_http_url(value)
    ):
        return Problem(
            path,
            f"'{path}' is a URL of {len(value)} characters; URLs may be at most {MAX_URL_LENGTH}",
            "length",
        )
    if param.format == "uri" and not is_http_url(value):
        return Problem(path, f"'{path}' must be an http(s) URL, got {describe(value)}", "format")
    if param.format == "url-or-data" and not (is_http_url(value) or value.startswith("data:")):
        return Problem(
            path, f"'{path}' must be an http(s) URL or a data: URI, got {describe(value)}", "format"
        )
    if param.format == "date-time" and not re.match(r"^\d{4}-\d{2}-\d{2}T", value):
        return Problem(
            path, f"'{path}' must be an ISO 8601 date-time, got {describe(value)}", "format"
        )
    return None


def _check_array(param: Param, value: list[Any], path: str) -> Problem | None:
    if param.min_items is not None and len(value) < param.min_items:
        return Problem(
            path, f"'{path}' needs at least {param.min_items} item(s), got {len(value)}", "items"
        )
    if param.max_items is not None and len(value) > param.max_items:
        return Problem(
            path, f"'{path}' allows at most {param.max_items} item(s), got {len(value)}", "items"
        )
    if param.items is not None:
        for index, item in enumerate(value):
            where = f"{path}[{index}]"
            problem = _check_value(param.items, item, where)
            if problem is None and param.items.type == "object" and param.items.properties:
                inner = check(param.items.properties, item, f"{where}.", param.items.rules)
                problem = inner.problems[0] if inner.problems else None
            if problem is not None:
                return problem
    return None
