"""Checking an answer against the contract's schema for its status and content type."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator

from contracts import Contract, Model, Operation, response_schemas


def problems(
    contract: Contract,
    operation: Operation,
    model: Model | None,
    status: int,
    content_type: str,
    body: bytes,
) -> list[str]:
    """What is wrong with this answer, by the contract; empty when it conforms."""
    documented = response_schemas(contract, operation, model)
    where = f"{contract.provider} {operation.id}"
    if status not in documented:
        return [f"{where}: status {status} is not in the contract ({sorted(documented)})"]
    kind = content_type.split(";")[0].strip()
    if kind not in documented[status]:
        return [f"{where}: {status} with {kind!r}; the contract has {list(documented[status])}"]
    if kind != "application/json":
        return []
    try:
        value: Any = json.loads(body)
    except ValueError as exc:
        return [f"{where}: {status} body is not JSON: {exc}"]
    schema = {"anyOf": documented[status][kind]}
    errors = list(Draft202012Validator(schema).iter_errors(value))
    if not errors:
        return []
    best = min(
        (e for error in errors for e in (error.context or [error])),
        key=lambda e: len(list(e.absolute_path)) * -1,
    )
    return [f"{where}: {status} body {value!r} breaks the contract: {best.message}"]
