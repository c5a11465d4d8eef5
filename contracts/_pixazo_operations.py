"""Pixazo's wire: its page, operations, webhook and response bodies (JSON Schema)."""

from __future__ import annotations

from contracts._common import image_answers
from contracts._model import Operation, Param, ResponseSpec, WebhookSpec, documented, inferred
from contracts._schema import array, const, enum, nullable, obj, string, uri

PAGE = "pixazo-grok-imagine-pro.md"
PAGE_SOURCE = documented(PAGE)

_WHEN = string(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

SUBMITTED = obj({"request_id": string(), "status": const("QUEUED"), "polling_url": uri()})
STATUS = obj(
    {
        "request_id": string(),
        "status": enum("QUEUED", "PROCESSING", "COMPLETED", "FAILED", "ERROR"),
        "model_id": string(),
        "error": nullable(string()),
        # media_url holds R2-like URLs, or data: URIs with sync_mode.
        "output": nullable(obj({"media_url": array(string(), minItems=1), "media_type": string()})),
        "created_at": _WHEN,
        "updated_at": nullable(_WHEN),
        "completed_at": nullable(_WHEN),
    }
)

_EXAMPLE_ID = "grok-imagine-pro-text-to-image-quality_019d4355-f500-7e27-91dc-6737f747626b"
_WEBHOOK_HEADER = Param(
    "X-Webhook-URL",
    "string",
    PAGE_SOURCE,
    "Where to POST the terminal status body.",
    format="uri",
)
OPERATIONS = (
    Operation(
        "submit",
        "POST",
        "/{model}/v1/{endpoint}",
        "Queue a generation; each model's own path is in `models`.",
        "submit",
        PAGE_SOURCE,
        responses=(
            ResponseSpec(
                202,
                "Accepted: request queued",
                PAGE_SOURCE,
                example={
                    "request_id": _EXAMPLE_ID,
                    "status": "QUEUED",
                    "polling_url": f"https://gateway.pixazo.ai/v2/requests/status/{_EXAMPLE_ID}",
                },
                schema=SUBMITTED,
            ),
        ),
        model_in="route",
        headers=(_WEBHOOK_HEADER,),
    ),
    Operation(
        "status",
        "GET",
        "/v2/requests/status/{request_id}",
        "The universal status endpoint: QUEUED, PROCESSING, COMPLETED, FAILED or ERROR.",
        "read",
        PAGE_SOURCE,
        job_param="request_id",
        responses=(
            ResponseSpec(
                200, "The request's status, output once COMPLETED", PAGE_SOURCE, schema=STATUS
            ),
        ),
    ),
    Operation(
        "media",
        "GET",
        "/r2/v1/{job_id}/{token}/output.{ext}",
        "The generated media a media_url points at (an R2-CDN-like path on the emulator).",
        "media",
        inferred("media URLs must point back at the emulator; the path mirrors the page's R2 URLs"),
        responses=image_answers("The image", inferred("served by the emulator")),
    ),
)
WEBHOOKS = (
    WebhookSpec(
        "status",
        "The terminal status body, POSTed to X-Webhook-URL",
        PAGE_SOURCE,
        schema=STATUS,
    ),
)
