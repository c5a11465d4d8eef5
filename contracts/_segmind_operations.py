"""Segmind's wire: its pages, operations and response bodies (JSON Schema)."""

from __future__ import annotations

from contracts._common import image_answers
from contracts._model import Operation, ResponseSpec, documented, from_facts, inferred
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
            "FACTS §3 names poll_url as kept for backward compatibility; its body is not "
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
