"""xAI's own image API (api.x.ai): generations, JSON edits, deferred jobs, flat errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from contracts._common import RESOLUTIONS, prompt_limit_note
from contracts._model import (
    Auth,
    Billing,
    Contract,
    ErrorCase,
    Note,
    Source,
    Variant,
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
from contracts.xai_grpc import XAI_GRPC

PAGE = "docs/SOURCES.md §1 (xAI first-party REST API)"
_CAPTURED = from_facts("§1.9 Errors: captured real examples")
_GRPC_SOURCE = inferred(
    "xAI's 'code' names the gRPC status behind the answer; the captured cases show "
    "invalid-argument and permission-denied, the others follow gRPC's table"
)
_AXUM = inferred(
    "the spec documents 422 for missing fields and APIYI reports 422 for out-of-enum values: a "
    "body that does not deserialize"
)
_KEBAB = from_facts(
    "§1.9: 2026 captures and the official TypeScript SDK's tests write the gRPC status "
    "kebab-case ('invalid-argument', 'permission-denied')"
)
# The gRPC statuses xAI answers with: the code as written now, and as older captures
# show it (the status's description).
GRPC_CODES = {
    "invalid-argument": "Client specified an invalid argument",
    "permission-denied": "The caller does not have permission",
    "not-found": "Some requested entity was not found",
    "resource-exhausted": "Some resource has been exhausted",
    "internal": "Internal error",
    "unavailable": "The service is currently unavailable",
    "deadline-exceeded": "Deadline expired before operation could complete",
}
_EXHAUSTED = (
    "Your team {account_id} has either used all available credits or reached its monthly "
    "spending limit. To continue making API requests, please purchase more credits or raise "
    "your spending limit."
)
GENERATE = generation_params(PAGE, RATIOS_2026, (*RESOLUTIONS, "1.5k"), model_required=False)
EDIT = edit_params(GENERATE)


def _flat(
    name: str, status: int, code: str, message: str, source: Source, **more: Any
) -> ErrorCase:
    """xAI's flat envelope: {"code": <gRPC status>, "error": <message>}."""
    return ErrorCase(
        name, status, {"code": code, "error": "{message}"}, source, message=message, **more
    )


ERRORS = {
    e.name: e
    for e in (
        _flat(
            "unauthorized",
            400,
            "invalid-argument",
            "Incorrect API key provided: {key_hint}. You can obtain an API key from "
            "https://console.x.ai.",
            _CAPTURED,
        ),
        _flat(
            "missing-key",
            400,
            "invalid-argument",
            "No API key provided. You can obtain an API key from https://console.x.ai.",
            inferred("a missing key is answered like a wrong one (captured: a bad key gives 400)"),
            scenario=False,
        ),
        _flat("validation-error", 400, "invalid-argument", "Invalid request parameters", _CAPTURED),
        _flat(
            "unsupported-argument",
            400,
            "invalid-argument",
            "Argument not supported: {argument}",
            from_facts("§1.4 size, style: 'Argument not supported: size' (crazyrouter)"),
            scenario=False,
        ),
        _flat("malformed-body", 400, "invalid-argument", "", _AXUM, scenario=False),
        _flat(
            "mock-usage",
            400,
            "invalid-argument",
            "",
            inferred("a mock-only refusal"),
            scenario=False,
        ),
        ErrorCase(
            "moderation-rejected",
            400,
            {
                "code": "invalid-argument",
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
            "permission-denied",
            "Your newly created teams doesn't have any credits yet. You can purchase credits on "
            "https://console.x.ai",
            from_facts("§1.9: third-party fixtures of a team without credits"),
        ),
        _flat(
            "credits-exhausted",
            403,
            "permission-denied",
            _EXHAUSTED,
            from_facts("§1.9: 2026 captures of a team out of credits (403 since mid-2026)"),
        ),
        _flat(
            "forbidden",
            403,
            "permission-denied",
            "Your team does not have access to this model.",
            _GRPC_SOURCE,
        ),
        _flat(
            "model-not-found",
            404,
            "not-found",
            "The model {model} does not exist or your team does not have access to it.",
            _GRPC_SOURCE,
        ),
        _flat(
            "request-not-found",
            404,
            "not-found",
            "No deferred image request {request_id} (unknown, or older than 24 hours).",
            from_facts("§1.7: 404 for an unknown id or an expired result"),
            scenario=False,
        ),
        _flat("endpoint-not-found", 404, "not-found", "Not found", _GRPC_SOURCE, scenario=False),
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
            "resource-exhausted",
            "Too many requests: your team's rate limit is exceeded.",
            from_facts("§1.9 Rate limits: error code 429 (docs.x.ai/developers/rate-limits)"),
        ),
        _flat("server-error", 500, "internal", "Internal server error", _GRPC_SOURCE),
        _flat("bad-gateway", 502, "internal", "Bad gateway", _GRPC_SOURCE),
        _flat(
            "service-unavailable",
            503,
            "unavailable",
            "The service is currently unavailable",
            _GRPC_SOURCE,
            scenario=False,
        ),
        _flat("gateway-timeout", 504, "deadline-exceeded", "Request timed out", _GRPC_SOURCE),
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


def _legacy(case: ErrorCase) -> ErrorCase:
    """`case` as captures before 2026 show it: the gRPC status's description as its code
    (and an exhausted team's answer as 429 resource exhausted)."""
    code = case.body["code"]
    if case.name == "credits-exhausted":
        return replace(
            case, status=429, body={**case.body, "code": GRPC_CODES["resource-exhausted"]}
        )
    return replace(case, body={**case.body, "code": GRPC_CODES[code]})


LEGACY = Variant(
    "Error codes as gRPC status descriptions ('Client specified an invalid argument'), as "
    "captures before 2026 show them; an exhausted team answers 429.",
    from_facts("§1.9: captured bodies (beeai-framework, continue issues); early-2026 captures"),
    {
        name: _legacy(case)
        for name, case in ERRORS.items()
        if isinstance(case.body, Mapping) and case.body.get("code") in GRPC_CODES
    },
)

NOTES = (
    prompt_limit_note(),
    Note(
        "envelope",
        'Errors are flat: {"code": <gRPC status, kebab-case>, "error": <message>}, e.g. '
        '"invalid-argument"; a bad key is a 400, as captured. The variant legacy '
        "(variants.xai = 'legacy') writes the code as older captures do, as the status's "
        "description ('Client specified an invalid argument').",
        _KEBAB,
    ),
    Note(
        "out of credits",
        "insufficient-credits is the 403 a newly created team without credits gets; "
        "credits-exhausted is the 403 of a team that used all its credits or reached its "
        "spending limit, naming the team (a stable UUID from the key). In the legacy variant "
        "credits-exhausted is 429 'Some resource has been exhausted', as early-2026 captures "
        "show; clients that retry 429s retry it.",
        from_facts("§1.9: captures of both answers, 429 early in 2026 and 403 later"),
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
        "Images are JPEG; mime_type and revised_prompt (the prompt as the model rewrote it, "
        "made up deterministically from the seed) are on every item, usage.cost_in_usd_ticks "
        "on every answer (1 USD = 1e10 ticks). There is no created: it is not in xAI's "
        "schema or its SDK's fixtures.",
        from_facts("§1.6 success response; revised_prompt as relays document it"),
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
        PAGE,
        GENERATE,
        EDIT,
        {"x-request-id": "the request's id, which xAI's SDK reads"},
        created=False,
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
    notes=(*NOTES, *XAI_GRPC.notes),
    variants={"legacy": LEGACY},
    grpc=XAI_GRPC,
)
