"""An OpenAPI 3.1 document per surface, generated from its contract.

A submit whose path names its model (Segmind's `/v2/{slug}`, Pixazo's one
path per model) becomes one concrete path per model, so each carries that
model's own request schema; a model named in the body (Kie-style tasks)
becomes a `oneOf` of the models' bodies.
"""

from __future__ import annotations

import re
from typing import Any

from contracts._common import OUTPUT_FORMATS
from contracts._model import Contract, Model, Operation, Param, Source, thaw
from contracts._schema import Schema, param_schema, request_schema, response_schemas

__all__ = ["openapi_document"]

VERSION = "0.1.0"
_TEMPLATE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_STATUS_TEXT = {
    200: "OK",
    202: "Accepted",
    400: "Bad request",
    401: "Unauthorized",
    402: "Payment required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    410: "Gone",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable",
    429: "Too many requests",
    500: "Server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


def _source(source: Source) -> dict[str, str]:
    return {"x-source": source.kind, "x-source-ref": source.ref}


def _security(contract: Contract) -> dict[str, Any]:
    auth = contract.auth
    if auth.scheme and auth.scheme.lower() == "bearer":
        scheme: dict[str, Any] = {"type": "http", "scheme": "bearer"}
    else:
        scheme = {"type": "apiKey", "in": "header", "name": auth.header}
    return {"apiKey": {**scheme, "description": f"{auth.header} ({auth.source.ref})"}}


def _parameter(param: Param, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": param.name,
        "in": where,
        "required": param.required,
        "schema": {k: v for k, v in param_schema(param).items() if k != "description"},
    }
    if param.description:
        out["description"] = param.description
    return out


def _path_parameters(path: str) -> list[dict[str, Any]]:
    out = []
    for name in _TEMPLATE.findall(path):
        schema: Schema = {"type": "string", "minLength": 1}
        if name == "ext":
            schema = {"type": "string", "enum": list(OUTPUT_FORMATS)}
        out.append({"name": name, "in": "path", "required": True, "schema": schema})
    return out


def _one(schemas: list[Schema]) -> Schema:
    return schemas[0] if len(schemas) == 1 else {"anyOf": schemas}


def _responses(contract: Contract, operation: Operation, model: Model | None) -> dict[str, Any]:
    described: dict[int, list[str]] = {}
    headers: dict[int, dict[str, Any]] = {}
    for spec in operation.responses:
        if model is not None and spec.models and model.id not in spec.models:
            continue
        if spec.description not in described.setdefault(spec.status, []):
            described[spec.status].append(spec.description)
        for name, text in spec.headers.items():
            headers.setdefault(spec.status, {})[name] = {
                "description": text,
                "schema": {"type": "string"},
            }
    for case in contract.errors.values():
        described.setdefault(case.status, []).append(case.name)
        for name in case.headers:
            headers.setdefault(case.status, {})[name] = {
                "description": f"sent with {case.name}",
                "schema": {"type": "string"},
            }
    out: dict[str, Any] = {}
    for status, by_type in sorted(response_schemas(contract, operation, model).items()):
        answer: dict[str, Any] = {
            "description": "; ".join(described.get(status, [_STATUS_TEXT.get(status, "")])),
            "content": {kind: {"schema": _one(schemas)} for kind, schemas in by_type.items()},
        }
        if status in headers:
            answer["headers"] = headers[status]
        out[str(status)] = answer
    return out


def _operation(
    contract: Contract, operation: Operation, model: Model | None, path: str
) -> dict[str, Any]:
    if operation.model_in == "route":
        name = f"{operation.id}:{path.strip('/')}"
    else:
        name = operation.id if model is None else f"{operation.id}:{model.id}"
    out: dict[str, Any] = {
        "operationId": name,
        "summary": operation.summary,
        **_source(operation.source),
    }
    parameters = _path_parameters(path)
    parameters += [_parameter(p, "query") for p in operation.query]
    parameters += [_parameter(p, "header") for p in operation.headers]
    if parameters:
        out["parameters"] = parameters
    body = _request_body(contract, operation, model)
    if body is not None:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    out["responses"] = _responses(contract, operation, model)
    if operation.kind == "media":
        out["security"] = []  # media URLs are signed; they need no key
    return out


def _request_body(contract: Contract, operation: Operation, model: Model | None) -> Schema | None:
    if operation.model_in == "body" and operation.model_params_at and model is None:
        variants = [request_schema(operation, m) for m in contract.models.values()]
        return {"oneOf": [v for v in variants if v is not None]}
    return request_schema(operation, model)


def _paths(contract: Contract) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for operation in contract.operations:
        method = operation.method.lower()
        if operation.model_in in ("path", "route"):
            for model in contract.models.values():
                path = operation.path_for(model)
                paths.setdefault(path, {})[method] = _operation(contract, operation, model, path)
        else:
            paths.setdefault(operation.path, {})[method] = _operation(
                contract, operation, None, operation.path
            )
    return paths


def _webhooks(contract: Contract) -> dict[str, Any]:
    out = {}
    for hook in contract.webhooks:
        request: dict[str, Any] = {
            "required": True,
            "content": {"application/json": {"schema": thaw(hook.schema)}},
        }
        post: dict[str, Any] = {
            "summary": hook.description,
            **_source(hook.source),
            "requestBody": request,
            "responses": {"200": {"description": "Received; other answers are retried"}},
        }
        if hook.headers:
            post["parameters"] = [
                {
                    "name": n,
                    "in": "header",
                    "required": False,
                    "description": d,
                    "schema": {"type": "string"},
                }
                for n, d in hook.headers.items()
            ]
        out[hook.name] = {"post": post}
    return out


def openapi_document(contract: Contract, server: str | None = None) -> dict[str, Any]:
    """The surface as OpenAPI 3.1; `server` (the emulator's base URL for it) comes first."""
    servers = [{"url": server, "description": "grok-imagine-mock"}] if server else []
    servers += [
        {"url": f"https://{host}", "description": "the real provider"} for host in contract.hosts
    ]
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": contract.title,
            "version": VERSION,
            "description": (
                f"The {contract.provider} surface as grok-imagine-mock serves it. Every element "
                "carries x-source: documented (the provider's page), facts (another public "
                "source) or inferred (our choice, with the reason in x-source-ref)."
            ),
            "x-provider": contract.provider,
            "x-pages": list(contract.pages),
        },
        "servers": servers,
        "paths": _paths(contract),
        "components": {"securitySchemes": _security(contract)},
        "security": [{"apiKey": []}],
    }
    if contract.webhooks:
        document["webhooks"] = _webhooks(contract)
    return document
