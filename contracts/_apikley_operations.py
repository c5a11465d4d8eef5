"""Apikley's (Kie.ai's) wire: its page, operations, callback, bodies (JSON Schema) and
error catalogue."""

from __future__ import annotations

from typing import Any

from contracts._common import image_answers
from contracts._model import (
    ErrorCase,
    Operation,
    Param,
    ResponseSpec,
    Source,
    WebhookSpec,
    documented,
    from_facts,
    inferred,
)
from contracts._schema import const, enum, integer, nullable, number, obj, string

PAGE = "apikley-grok-imagine-text-to-image.txt"
PAGE_SOURCE = documented(PAGE)
KIE = from_facts("§2 Kie.ai market jobs API (docs.kie.ai, docs.apikley.ru)")

_MILLIS = integer(minimum=0)

RECORD_FIELDS = {
    "taskId": string(),
    "model": string(),
    "state": enum("waiting", "queuing", "generating", "success", "fail"),
    # The request as submitted, and on success {"resultUrls": [...]}, both as JSON strings.
    "param": string(),
    "resultJson": string(),
    "failCode": string(),
    "failMsg": string(),
    "costTime": _MILLIS,
    "completeTime": nullable(_MILLIS),
    "createTime": _MILLIS,
    "updateTime": nullable(_MILLIS),
    # What the task was charged (0 until it succeeds), and the account's balance after it.
    "consumeCredits": number(minimum=0),
    "remainedCredits": number(minimum=0),
}
CREDITS = from_facts(
    "§2: Kie's callback examples (consumeCredits, remainedCredits); its credit endpoint"
)

CREATED = obj({"code": const(200), "msg": const("success"), "data": obj({"taskId": string()})})
CREDIT = obj({"code": const(200), "msg": const("success"), "data": number(minimum=0)})
RECORD = obj({"code": const(200), "msg": const("success"), "data": obj(RECORD_FIELDS)})
CALLBACK = obj(
    {
        "code": enum(200, 501),
        "msg": string(),
        "data": obj({**RECORD_FIELDS, "task_id": string()}),
    }
)

REQUEST = (
    Param(
        "model",
        "string",
        PAGE_SOURCE,
        description="The model name; this endpoint serves the Grok Imagine image models.",
        required=True,
    ),
    Param(
        "callBackUrl",
        "string",
        PAGE_SOURCE,
        description="The URL that receives the task's result when it finishes.",
        format="uri",
    ),
    Param(
        "input", "object", PAGE_SOURCE, description="The model's input parameters.", required=True
    ),
)

_CREATED = {"code": 200, "msg": "success", "data": {"taskId": "task_grok_12345678"}}
OPERATIONS = (
    Operation(
        "createTask",
        "POST",
        "/api/v1/jobs/createTask",
        "Create a Grok Imagine task; answers its taskId.",
        "submit",
        PAGE_SOURCE,
        responses=(
            ResponseSpec(
                200,
                "Request successful (see body code)",
                PAGE_SOURCE,
                example=_CREATED,
                schema=CREATED,
            ),
        ),
        model_in="body",
        params=REQUEST,
        model_params_at="input",
    ),
    Operation(
        "recordInfo",
        "GET",
        "/api/v1/jobs/recordInfo",
        "Task details: state, param, resultJson, failCode, failMsg and times.",
        "read",
        KIE,
        responses=(ResponseSpec(200, "The task's record", KIE, schema=RECORD),),
        query=(Param("taskId", "string", KIE, "The task's id.", required=True, min_length=1),),
        job_param="taskId",
    ),
    Operation(
        "credit",
        "GET",
        "/api/v1/chat/credit",
        "The account's remaining credits, which Kie clients read to check a key.",
        "read",
        CREDITS,
        responses=(ResponseSpec(200, "The balance in credits", CREDITS, schema=CREDIT),),
    ),
    Operation(
        "media",
        "GET",
        "/tempfile/{job_id}/{token}.{ext}",
        "A result URL: the generated image, for 24 hours.",
        "media",
        inferred("result URLs must point back at the emulator; Kie's CDN path is not documented"),
        responses=image_answers("The image", inferred("served by the emulator")),
    ),
)
WEBHOOKS = (
    WebhookSpec(
        "callback",
        "The finished task, POSTed to callBackUrl (signed when the account has a webhook key)",
        inferred("SOURCES §2: the body is inferred from third-party code"),
        schema=CALLBACK,
        headers={
            "X-Webhook-Timestamp": "seconds since the epoch (signed callbacks only)",
            "X-Webhook-Signature": "base64(HMAC-SHA256(taskId + '.' + timestamp, key))",
        },
    ),
)

# The Grok Imagine image models both hosts serve.
MODEL_IDS = ("grok-imagine/text-to-image", "grok-imagine/image-to-image", "grok-imagine/upscale")
KIE_OPENAPI = inferred(
    "Kie's own OpenAPI for recordInfo (apidog export) shows this body; a captured client test "
    "shows it served with HTTP 200"
)


def _code(
    name: str, code: int, msg: str, source: Source, http: int = 200, **more: Any
) -> ErrorCase:
    """Kie's envelope: the error in the body `code`, text in `msg`, `data` null."""
    body = {"code": code, "msg": "{message}", "data": None}
    return ErrorCase(name, http, body, source, message=msg, **more)


ERRORS = {
    e.name: e
    for e in (
        _code("unauthorized", 401, "Unauthorized", KIE_OPENAPI, http=401),
        _code(
            "missing-key",
            401,
            "Unauthorized - Authentication credentials are missing or invalid",
            PAGE_SOURCE,
            http=401,
            scenario=False,
        ),
        _code(
            "insufficient-credits",
            402,
            "Insufficient Credits - Account does not have enough credits to perform the operation",
            PAGE_SOURCE,
        ),
        _code(
            "endpoint-not-found",
            404,
            "Not Found - The requested resource or endpoint does not exist",
            PAGE_SOURCE,
            http=404,
            scenario=False,
        ),
        _code(
            "validation-error",
            422,
            "Validation Error - The request parameters failed validation checks",
            PAGE_SOURCE,
        ),
        _code(
            "model-not-found",
            422,
            "The page does not exist or is not published",
            inferred("captured from Kie for an unknown model (a client's migration notes)"),
            named="The page does not exist or is not published (unknown model {model!r}; "
            f"this endpoint serves {', '.join(MODEL_IDS)})",
        ),
        _code("request-not-found", 422, "recordInfo is null", KIE_OPENAPI, scenario=False),
        _code("missing-parameter", 400, "", KIE_OPENAPI, scenario=False),
        _code(
            "mock-usage", 422, "", inferred("a mock-only refusal in Kie's envelope"), scenario=False
        ),
        _code("rate-limited", 429, "Rate limit exceeded", KIE_OPENAPI, http=429),
        _code(
            "limit-exceeded",
            429,
            "Rate limit exceeded: {limit}",
            PAGE_SOURCE,
            http=429,
            scenario=False,
        ),
        _code(
            "maintenance",
            455,
            "Service Unavailable - System is currently undergoing maintenance",
            PAGE_SOURCE,
        ),
        _code(
            "server-error",
            500,
            "Server Error - An unexpected error occurred while processing the request",
            PAGE_SOURCE,
            http=500,
        ),
        _code(
            "feature-disabled",
            505,
            "Feature Disabled - The requested feature is currently disabled",
            PAGE_SOURCE,
        ),
        _code(
            "payload-too-large",
            413,
            "",
            inferred("no body limit is documented; an oversized body is refused unread"),
            http=413,
            scenario=False,
        ),
        ErrorCase(
            "media-not-found",
            404,
            "Not Found",
            inferred("result files sit on a CDN whose error body is not documented"),
            content_type="text/plain",
            scenario=False,
        ),
    )
}
