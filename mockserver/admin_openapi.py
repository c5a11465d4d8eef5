"""The admin API's own OpenAPI 3.1 document, served at /__mock/openapi.json."""

from __future__ import annotations

from typing import Any

from contracts import freeze
from mockserver.engine.journal import FILTERS as _FILTERS
from mockserver.engine.scenarios import RULE_FIELDS

_ERROR = {
    "description": "Refused: the message says what was wrong",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"error": {"type": "string"}},
                "required": ["error"],
            }
        }
    },
}
_OBJECT = {"type": "object", "additionalProperties": True}


def _ok(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema or _OBJECT}},
    }


def _body(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    return {"required": bool(required), "content": {"application/json": {"schema": schema}}}


def _op(
    summary: str,
    ok: str,
    *,
    body: dict[str, Any] | None = None,
    status: str = "200",
    params: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": {status: _ok(ok), "400": _ERROR, "401": _ERROR},
    }
    if body is not None:
        operation["requestBody"] = body
    if params:
        operation["parameters"] = params
    return operation


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _queries(*names: str) -> list[dict[str, Any]]:
    kinds = {"status": "integer", "limit": "integer"}
    return [
        {"name": n, "in": "query", "required": False, "schema": {"type": kinds.get(n, "string")}}
        for n in names
    ]


_STRING = {"type": "string"}
_NUMBER = {"type": "number"}
_INTEGER = {"type": "integer"}
_NULLABLE_INT = {"type": ["integer", "null"], "minimum": 1}
_RULE_TYPES = {
    "prompt": {"type": "string", "description": "a regex searched in the prompt"},
    "times": _NULLABLE_INT,
    "expires_in": {"type": "number", "exclusiveMinimum": 0},
}
_RULE = {name: _RULE_TYPES.get(name, _STRING) for name in RULE_FIELDS}
_ENTRIES = _body({"entries": {"type": "array", "items": _OBJECT}}, ["entries"])

ADMIN_OPENAPI: Any = freeze(
    {
        "openapi": "3.1.0",
        "info": {
            "title": "grok-imagine-mock admin API",
            "version": "1",
            "description": "Control the emulator: clock, profile, scenarios, chaos, latency, "
            "accounts, journal, jobs and webhook deliveries. When the server has an admin token, "
            "every endpoint but health and this document needs it in X-Admin-Token.",
        },
        "paths": {
            "/__mock/": {
                "get": {
                    "summary": "The QA console: a page driving everything below",
                    "responses": {"200": {"description": "the page (HTML)"}},
                },
            },
            "/__mock/console/{asset}": {
                "get": {
                    "summary": "The console's script and style sheet",
                    "parameters": [_path("asset")],
                    "responses": {"200": {"description": "the file"}, "404": _ERROR},
                },
            },
            "/__mock/health": {
                "get": _op("Status, seed, profile, clock and every surface's URL", "ok")
            },
            "/__mock/openapi.json": {"get": _op("This document", "the document")},
            "/__mock/openapi/{provider}.json": {
                "get": _op(
                    "A provider surface as OpenAPI 3.1, its first server this emulator",
                    "the document",
                    params=[_path("provider")],
                )
            },
            "/__mock/reset": {
                "post": _op(
                    "Forget jobs, rules, balances and the journal; rewind the clock",
                    "reset",
                    body=_body({"seed": _INTEGER, "profile": _STRING}),
                )
            },
            "/__mock/clock": {"get": _op("The emulator's clock", "now and offset")},
            "/__mock/clock/advance": {
                "post": _op(
                    "Move the clock forward",
                    "now and offset",
                    body=_body({"seconds": {"type": "number", "minimum": 0}}, ["seconds"]),
                )
            },
            "/__mock/profile": {
                "get": _op("The profile new jobs follow", "the profile"),
                "put": _op(
                    "Change it", "the profile", body=_body({"profile": _STRING}, ["profile"])
                ),
            },
            "/__mock/scenarios": {
                "get": _op("Queued rules, the catalogue, and each provider's scenarios", "rules"),
                "post": _op(
                    "Queue a rule", "the rule", body=_body(_RULE, ["scenario"]), status="201"
                ),
                "delete": _op("Delete every rule", "no rules left"),
            },
            "/__mock/scenarios/{rule_id}": {
                "delete": {
                    **_op("Delete one rule", "deleted", params=[_path("rule_id")]),
                    "responses": {"200": _ok("deleted"), "404": _ERROR, "401": _ERROR},
                },
            },
            "/__mock/chaos": {
                "get": _op("The chaos table", "entries"),
                "put": _op(
                    "Replace it: {scenario, probability, provider?, operation?}",
                    "entries",
                    body=_ENTRIES,
                ),
            },
            "/__mock/latency": {
                "get": _op("The latency table", "entries"),
                "put": _op(
                    "Replace it: {kind: fixed|uniform|lognormal, ...}", "entries", body=_ENTRIES
                ),
            },
            "/__mock/accounts/{provider}/{key}": {
                "get": _op("An account", "the account", params=[_path("provider"), _path("key")]),
                "put": _op(
                    "Set a balance and/or a webhook signing key",
                    "the account",
                    params=[_path("provider"), _path("key")],
                    body=_body(
                        {
                            "balance": {"type": ["number", "string"]},
                            "webhook_key": {"type": ["string", "null"]},
                        }
                    ),
                ),
            },
            "/__mock/journal": {
                "get": _op(
                    "Journaled requests (format=jsonl for JSON lines)",
                    "entries",
                    params=_queries(*_FILTERS, "limit", "format"),
                ),
            },
            "/__mock/journal/count": {
                "get": _op("How many requests match", "the count", params=_queries(*_FILTERS)),
            },
            "/__mock/journal/verify": {
                "post": {
                    **_op(
                        "Assert how many requests match; 409 with the near misses when not "
                        "(200 with ok false and them, given ?report=true)",
                        "they match",
                        params=_queries("report"),
                        body=_body(
                            {
                                "count": _INTEGER,
                                "at_least": _INTEGER,
                                "at_most": _INTEGER,
                                **{f: (_INTEGER if f == "status" else _STRING) for f in _FILTERS},
                            }
                        ),
                    ),
                    "responses": {
                        "200": _ok("they match"),
                        "409": _ok("they do not"),
                        "400": _ERROR,
                        "401": _ERROR,
                    },
                },
            },
            "/__mock/jobs": {
                "get": _op(
                    "Live jobs, newest first, as each provider shows them (status word, "
                    "planned phases, image URLs)",
                    "jobs",
                    params=_queries("provider", "status", "key"),
                ),
            },
            "/__mock/accounts": {
                "get": _op("Every account: balances and holds (keys as hints)", "accounts"),
            },
            "/__mock/jobs/{job_id}": {
                "get": {
                    **_op("One job", "the job", params=[_path("job_id")]),
                    "responses": {"200": _ok("the job"), "404": _ERROR, "401": _ERROR},
                },
            },
            "/__mock/webhooks": {
                "get": _op(
                    "Webhook deliveries and their attempts", "deliveries", params=_queries("job_id")
                ),
            },
            "/__mock/contracts/{provider}": {
                "get": _op(
                    "A provider's whole contract, each element tagged",
                    "the contract",
                    params=[_path("provider")],
                ),
            },
        },
        "components": {
            "securitySchemes": {
                "adminToken": {"type": "apiKey", "in": "header", "name": "X-Admin-Token"}
            }
        },
        "security": [{"adminToken": []}, {}],
    }
)
