"""xAI's own image API (api.x.ai): generations, JSON edits, deferred jobs, flat errors."""

from __future__ import annotations

from typing import Any

from contracts._common import RESOLUTIONS, prompt_limit_note
from contracts._model import (
    Auth,
    Billing,
    Contract,
    ErrorCase,
    Note,
    Source,
    from_facts,
    inferred,
)
from contracts.openai_images import (
    LIFECYCLE,
    MAX_EDIT_IMAGES,
    MODELS,
    MODERATION_FEE,
    OUTCOMES,
    RATIOS_2026,
    RETENTION,
    edit_params,
    generation_params,
    operations,
)

PAGE = "FACTS.md §1 (xAI first-party REST API)"
_CAPTURED = from_facts("§1.9 Errors: captured real examples")
_GRPC = inferred(
    "xAI's 'code' is the gRPC status description (INVALID_ARGUMENT is 'Client specified an "
    "invalid argument', PERMISSION_DENIED 'The caller does not have permission'); the others "
    "follow the same table"
)
_AXUM = inferred(
    "the spec documents 422 for missing fields and APIYI reports 422 for out-of-enum values: a "
    "body that does not deserialize"
)

INVALID_ARGUMENT = "Client specified an invalid argument"
GENERATE = generation_params(PAGE, RATIOS_2026, (*RESOLUTIONS, "1.5k"), model_required=False)
EDIT = edit_params(GENERATE)


def _flat(
    name: str, status: int, code: str, message: str, source: Source, **more: Any
) -> ErrorCase:
    """xAI's flat envelope: {"code": <status description>, "error": <message>}."""
    return ErrorCase(
        name, status, {"code": code, "error": "{message}"}, source, message=message, **more
    )


ERRORS = {
    e.name: e
    for e in (
        _flat(
            "unauthorized",
            400,
            INVALID_ARGUMENT,
            "Incorrect API key provided: {key_hint}. You can obtain an API key from "
            "https://console.x.ai.",
            _CAPTURED,
        ),
        _flat(
            "missing-key",
            400,
            INVALID_ARGUMENT,
            "No API key provided. You can obtain an API key from https://console.x.ai.",
            inferred("a missing key is answered like a wrong one (captured: a bad key gives 400)"),
            scenario=False,
        ),
        _flat("validation-error", 400, INVALID_ARGUMENT, "Invalid request parameters", _CAPTURED),
        _flat(
            "unsupported-argument",
            400,
            INVALID_ARGUMENT,
            "Argument not supported: {argument}",
            from_facts("§1.4 size, style: 'Argument not supported: size' (crazyrouter)"),
            scenario=False,
        ),
        _flat("malformed-body", 400, INVALID_ARGUMENT, "", _AXUM, scenario=False),
        _flat(
            "mock-usage", 400, INVALID_ARGUMENT, "", inferred("a mock-only refusal"), scenario=False
        ),
        ErrorCase(
            "moderation-rejected",
            400,
            {
                "code": INVALID_ARGUMENT,
                "error": "{message}",
                "usage": {"cost_in_usd_ticks": "{ticks}"},
            },
            from_facts("§5 whole request rejected: captured body, billed"),
            message="Generated image rejected by content moderation.",
            scenario=False,
        ),
        _flat(
            "insufficient-credits",
            403,
            "The caller does not have permission",
            "Your newly created teams doesn't have any credits yet. You can purchase credits on "
            "https://console.x.ai",
            from_facts("§1.9: third-party fixtures of a team without credits"),
        ),
        _flat(
            "forbidden",
            403,
            "The caller does not have permission",
            "Your team does not have access to this model.",
            _GRPC,
        ),
        _flat(
            "model-not-found",
            404,
            "Some requested entity was not found",
            "The model {model} does not exist or your team does not have access to it.",
            _GRPC,
        ),
        _flat(
            "request-not-found",
            404,
            "Some requested entity was not found",
            "No deferred image request {request_id} (unknown, or older than 24 hours).",
            from_facts("§1.7: 404 for an unknown id or an expired result"),
            scenario=False,
        ),
        _flat(
            "endpoint-not-found",
            404,
            "Some requested entity was not found",
            "Not found",
            _GRPC,
            scenario=False,
        ),
        _flat(
            "invalid-content-type",
            415,
            "Unsupported Media Type",
            "Expected request with `Content-Type: application/json`",
            _AXUM,
            scenario=False,
        ),
        _flat("invalid-body", 422, "Unprocessable Entity", "", _AXUM, scenario=False),
        _flat(
            "payload-too-large",
            413,
            "Payload Too Large",
            "",
            inferred("no documented limit"),
            scenario=False,
        ),
        _flat(
            "rate-limited",
            429,
            "Some resource has been exhausted",
            "Too many requests: your team's rate limit is exceeded.",
            from_facts("§1.9 Rate limits: error code 429 (docs.x.ai/developers/rate-limits)"),
        ),
        _flat("server-error", 500, "Internal error", "Internal server error", _GRPC),
        _flat("bad-gateway", 502, "Internal error", "Bad gateway", _GRPC),
        _flat(
            "service-unavailable",
            503,
            "The service is currently unavailable",
            "The service is currently unavailable",
            _GRPC,
            scenario=False,
        ),
        _flat(
            "gateway-timeout",
            504,
            "Deadline expired before operation could complete",
            "Request timed out",
            _GRPC,
        ),
        ErrorCase(
            "media-not-found",
            404,
            "Not Found",
            inferred("a CDN's plain 404"),
            content_type="text/plain",
            scenario=False,
        ),
    )
}

NOTES = (
    prompt_limit_note(),
    Note(
        "envelope",
        'Errors are flat: {"code": <gRPC status description>, "error": <message>}; a bad key '
        "is a 400, as captured.",
        _CAPTURED,
    ),
    Note(
        "422 vs 400",
        "A body that does not deserialize (a missing or ill-typed field, an unknown enum value) "
        "is 422; a value out of range, an unsupported argument or a rule between fields is 400.",
        _AXUM,
    ),
    Note(
        "content moderation",
        "moderation-blocked rejects the whole request: 400 with usage.cost_in_usd_ticks "
        "500000000, billed $0.05; image-moderated returns the last image with "
        "respect_moderation false and no url or b64_json.",
        from_facts("§5 Content moderation"),
    ),
    Note(
        "deferred",
        "deferred: true answers {request_id}; GET /v1/images/{id} answers 202 pending, 200 done "
        "with data and usage, 200 failed with error.code, 404 once unknown or 24 hours old.",
        from_facts("§1.7 deferred mode"),
    ),
    Note(
        "models",
        "grok-imagine-image, grok-imagine-image-quality, grok-imagine-image-2.0 (the only one that "
        "takes quality; 'high' is refused) and grok-imagine-image-pro, a deprecated alias of "
        "quality (answered with an X-Mock-Warning). A missing model is grok-imagine-image.",
        from_facts("§1.3 model ids; §1.4 quality"),
    ),
    Note(
        "edits",
        f"Edits take JSON with image or images (not both), at most {MAX_EDIT_IMAGES} inputs; a "
        "single-image edit keeps its input's ratio. multipart/form-data (the OpenAI SDK's "
        "images.edit) is refused with 415.",
        from_facts("§1.5: 'up to 3' (newest overview) vs 'up to 5' (older guide): the newest wins"),
    ),
    Note(
        "outputs",
        "Images are JPEG; mime_type is on every item, usage.cost_in_usd_ticks on every answer "
        "(1 USD = 1e10 ticks); created is included as OpenAI clients expect it.",
        from_facts("§1.6 success response"),
    ),
    Note(
        "not emulated",
        "output.upload_urls, storage_options, file_id inputs and mask are accepted and ignored "
        "(named in X-Mock-Warning).",
        inferred("uploading to customer URLs and the Files API are out of scope"),
    ),
)

XAI = Contract(
    provider="xai",
    title="xAI image API (api.x.ai)",
    pages=(PAGE,),
    hosts=("api.x.ai",),
    prefix="/xai",
    auth=Auth("Authorization", "Bearer", from_facts("§1.2 Authorization: Bearer")),
    operations=operations(
        PAGE, GENERATE, EDIT, {"x-request-id": "the request's id, which xAI's SDK reads"}
    ),
    models=MODELS,
    errors=ERRORS,
    outcomes=OUTCOMES,
    lifecycle=LIFECYCLE,
    retention=RETENTION,
    billing=Billing(
        charged=("succeeded",),
        unit="USD",
        source=from_facts("§1.3 per-image prices; §5 the moderation fee is charged separately"),
        fees={"moderation-blocked": MODERATION_FEE},
    ),
    media_path="/xai-imgen/{job_id}/{token}.{ext}",
    content_types=("application/json",),
    shape_error="invalid-body",
    times="epoch-seconds",
    notes=NOTES,
)
