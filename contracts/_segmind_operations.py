"""Segmind's wire: its pages, operations, response bodies (JSON Schema) and error catalogue."""

from __future__ import annotations

from typing import Any

from contracts._common import image_answers
from contracts._model import (
    ErrorCase,
    Operation,
    ResponseSpec,
    Source,
    documented,
    from_facts,
    inferred,
)
from contracts._schema import array, const, enum, integer, number, obj, string, uri

IMAGE_PAGE = "segmind-grok-imagine-image.txt"
QUALITY_PAGE = "segmind-grok-imagine-image-quality.txt"
BOTH = f"{IMAGE_PAGE}, {QUALITY_PAGE}"
ERRORS_SOURCE = from_facts("§3 Segmind / Errors (API Evangelist error catalog, docs.segmind.com)")
V2 = from_facts("§3 Segmind / v2 async flow")

_PENDING = enum("QUEUED", "PROCESSING")
TIMINGS = {"inference_time": number(), "queue_time": number(), "total_time": number()}
# On success metrics add the accounting; on failure the billing fields are omitted.
# retry_count appears only when Segmind retried the job, which the emulator never does.
SUCCESS_METRICS = obj(
    {
        **TIMINGS,
        "cost": number(minimum=0),
        "remaining_credits": number(minimum=0),
        "retry_count": integer(minimum=0),
    },
    optional=("retry_count",),
)
_NO_METRICS = obj({})
_LINKS = {"status_url": uri(), "response_url": uri()}

SUBMITTED = obj({"request_id": string(), "status": const("QUEUED"), "poll_url": uri(), **_LINKS})
STATUS = {
    "anyOf": [
        obj({"status": _PENDING, "request_id": string(), **_LINKS, "metrics": _NO_METRICS}),
        obj({"status": const("COMPLETED"), "request_id": string(), "metrics": SUCCESS_METRICS}),
    ]
}
STATUS_FAILED = obj(
    {
        "status": const("FAILED"),
        "error": string(),
        "metrics": obj(TIMINGS),
        "request_id": string(),
    }
)
COMPLETED = obj(
    {
        "status": const("COMPLETED"),
        "error": {"type": "null"},
        "metrics": SUCCESS_METRICS,
        # One image: its URL (the SDK's docs); n > 1: the list of them.
        "output": {"anyOf": [uri(), array(uri(), minItems=2)]},
        "request_id": string(),
    }
)
RESULT = {
    "anyOf": [
        obj(
            {
                "status": _PENDING,
                "error": {"type": "null"},
                "metrics": _NO_METRICS,
                "output": {"type": "null"},
                "request_id": string(),
            }
        ),
        COMPLETED,
    ]
}
RESULT_FAILED = obj(
    {
        "status": const("FAILED"),
        "error": string(),
        "metrics": obj(TIMINGS),
        "output": {"type": "null"},
        "request_id": string(),
    }
)

_SUBMIT_EXAMPLE = {
    "request_id": "2c7f59ea-0000-4000-8000-000000000000",
    "status": "QUEUED",
    "poll_url": "https://api.segmind.com/v1/requests/2c7f59ea-0000-4000-8000-000000000000",
    "status_url": "https://api.segmind.com/v2/requests/2c7f59ea-0000-4000-8000-000000000000/status",
    "response_url": "https://api.segmind.com/v2/requests/2c7f59ea-0000-4000-8000-000000000000",
}

_V1_HEADERS = {
    "x-request-id": "the request's id",
    "x-cost": "what the request cost",
    "x-remaining-credits": "the balance after it",
    "x-generation-time": "seconds spent generating",
    "x-seed-value": "the seed used",
}

OPERATIONS = (
    Operation(
        "v1.generate",
        "POST",
        "/v1/{slug}",
        "Run the model and wait: image bytes (grok-imagine-image) or JSON (quality slug).",
        "submit",
        documented(BOTH),
        responses=(
            *image_answers(
                "The image; accounting in x-* headers",
                documented(f"{IMAGE_PAGE}: 'Returns: Image'"),
                models=("grok-imagine-image",),
                headers=_V1_HEADERS,
            ),
            ResponseSpec(
                200,
                "The result body, as v2's (accounting in x-* headers)",
                documented(f"{QUALITY_PAGE}: 'Returns: Text/JSON'"),
                schema=COMPLETED,
                models=("grok-imagine-image-quality",),
                headers=_V1_HEADERS,
            ),
        ),
        model_in="path",
    ),
    Operation(
        "v2.submit",
        "POST",
        "/v2/{slug}",
        "Queue a request; answers request_id, status_url and response_url.",
        "submit",
        documented(IMAGE_PAGE),
        responses=(ResponseSpec(200, "Queued", V2, example=_SUBMIT_EXAMPLE, schema=SUBMITTED),),
        model_in="path",
    ),
    Operation(
        "v2.status",
        "GET",
        "/v2/requests/{request_id}/status",
        "Poll: QUEUED, PROCESSING, COMPLETED, or FAILED (served as 422).",
        "read",
        documented(IMAGE_PAGE),
        job_param="request_id",
        responses=(
            ResponseSpec(200, "QUEUED, PROCESSING or COMPLETED", V2, schema=STATUS),
            ResponseSpec(422, "FAILED, with error", documented(IMAGE_PAGE), schema=STATUS_FAILED),
        ),
    ),
    Operation(
        "v2.result",
        "GET",
        "/v2/requests/{request_id}",
        "The final response body: status, error, metrics and output.",
        "read",
        documented(IMAGE_PAGE),
        job_param="request_id",
        responses=(
            ResponseSpec(200, "status, error, metrics, output (the image URLs)", V2, schema=RESULT),
            ResponseSpec(422, "FAILED, with error", V2, schema=RESULT_FAILED),
        ),
    ),
    Operation(
        "v1.poll",
        "GET",
        "/v1/requests/{request_id}",
        "The older poll endpoint that submit's poll_url names; answers as v2.result.",
        "read",
        inferred(
            "SOURCES §3 names poll_url as kept for backward compatibility; its body is not "
            "documented, so it answers as the v2 result does"
        ),
        job_param="request_id",
        responses=(
            ResponseSpec(200, "As v2.result", V2, schema=RESULT),
            ResponseSpec(422, "FAILED, with error", V2, schema=RESULT_FAILED),
        ),
    ),
    Operation(
        "media",
        "GET",
        "/media/{job_id}/{token}.{ext}",
        "The generated image bytes an output URL points at.",
        "media",
        inferred(
            "output URLs must point back at the emulator; Segmind's CDN path is not documented"
        ),
        responses=image_answers("The image", inferred("served by the emulator")),
    ),
)

_OURS = inferred("the page describes the code; the body text is ours, in Segmind's envelope")
_405_PAGE = (
    "<html><head><title>405 Method Not Allowed</title></head><body>"
    "<center><h1>405 Method Not Allowed</h1></center></body></html>"
)


def _case(name: str, status: int, source: Source, message: str = "", **more: Any) -> ErrorCase:
    """An error in Segmind's one envelope, `{"error": "<message>"}`."""
    return ErrorCase(name, status, {"error": "{message}"}, source, message=message, **more)


_400 = documented(f"{BOTH}: 400 Invalid parameters or request format")

ERRORS = {
    e.name: e
    for e in (
        _case("validation-error", 400, _400, "Invalid parameters or request format", wording=_OURS),
        _case("malformed-body", 400, _400, scenario=False, wording=_OURS),
        _case(
            "mock-usage",
            400,
            inferred("a mock-only refusal, rendered in Segmind's error envelope"),
            scenario=False,
        ),
        _case(
            "unauthorized",
            401,
            ERRORS_SOURCE,
            "Unauthorized. API key is invalid or may have expired...",
        ),
        _case(
            "missing-key",
            401,
            ERRORS_SOURCE,
            "Missing Authorization or x-api-key in header",
            scenario=False,
        ),
        _case(
            "forbidden",
            403,
            documented(f"{BOTH}: 403 Forbidden, insufficient permissions"),
            "Forbidden: your account or team is not permitted to use this model",
            wording=_OURS,
        ),
        _case(
            "model-not-found",
            404,
            documented(f"{BOTH}: 404 Model or endpoint not found"),
            "Model not found",
            wording=_OURS,
            named="Model '{model}' not found",
        ),
        ErrorCase(
            "request-not-found",
            404,
            {"error": "Request {request_id} not found"},
            V2,
            scenario=False,
        ),
        ErrorCase(
            "method-not-allowed",
            405,
            _405_PAGE,
            ERRORS_SOURCE,
            content_type="text/html",
            scenario=False,
        ),
        _case(
            "insufficient-credits",
            406,
            ERRORS_SOURCE,
            "Insufficient credits. Your balance is {balance} credits and this request requires "
            "{required} credits.",
            wording=_OURS,
        ),
        _case("invalid-content-type", 406, ERRORS_SOURCE, "Invalid content type"),
        _case("model-retired", 410, ERRORS_SOURCE, "This model has been retired", wording=_OURS),
        _case(
            "payload-too-large",
            413,
            inferred(
                "no body limit is documented; an oversized body is refused in Segmind's "
                "envelope rather than read into memory"
            ),
            scenario=False,
            wording=_OURS,
        ),
        _case(
            "rate-limited",
            429,
            ERRORS_SOURCE,
            "Rate limit exceeded. Please try again later.",
            headers={"x-rate-limit-reset-at-utc": "{reset_at}"},
            wording=_OURS,
        ),
        _case(
            "server-error",
            500,
            documented(f"{BOTH}: 500 Internal server error"),
            "Internal server error",
            wording=_OURS,
        ),
        _case(
            "bad-gateway",
            502,
            documented(f"{BOTH}: 502 Service temporarily unavailable"),
            "Bad Gateway: service temporarily unavailable",
            wording=_OURS,
        ),
        _case(
            "gateway-timeout",
            504,
            documented(f"{BOTH}: 504 Request timed out"),
            "Request timed out",
            wording=_OURS,
        ),
        _case(
            "media-not-found",
            404,
            inferred("output files are on a CDN whose error body is not documented"),
            "The requested output does not exist or has expired",
            scenario=False,
            wording=_OURS,
        ),
    )
}
