"""agtcloud: an OpenAI-compatible gateway in front of xAI's image API."""

from __future__ import annotations

from typing import Any

from contracts._common import RESOLUTIONS, XAI_RATIOS, prompt_limit_note
from contracts._model import (
    Auth,
    Billing,
    Contract,
    ErrorCase,
    Note,
    Source,
    documented,
    from_facts,
    inferred,
)
from contracts.openai_images import (
    LIFECYCLE,
    MODELS,
    MODERATION_FEE,
    OUTCOMES,
    RETENTION,
    edit_params,
    generation_params,
    operations,
)

PAGE = "agtcloud-grok-image-openai-style.txt"
_PAGE = documented(PAGE)
_ENVELOPE = inferred(
    "the page does not show the model's errors; New API (whose documentation the page is) "
    "passes on OpenAI's nested {error: {message, type, param, code}}"
)

# New API writes amounts after a full-width dollar sign (U+FF04).
_DOLLAR = "\uff04"
GENERATE = generation_params(PAGE, XAI_RATIOS, RESOLUTIONS, model_required=True)
EDIT = edit_params(GENERATE)


def _openai(
    name: str,
    status: int,
    kind: str,
    code: str | None,
    message: str,
    source: Source = _ENVELOPE,
    **more: Any,
) -> ErrorCase:
    """OpenAI's envelope: {"error": {"message", "type", "param", "code"}}."""
    body = {"error": {"message": "{message}", "type": kind, "param": "{param}", "code": code}}
    return ErrorCase(name, status, body, source, message=message, **more)


def _new_api(
    name: str, status: int, code: str, message: str, source: Source, **more: Any
) -> ErrorCase:
    """New API's own refusals (the gateway's, not the model's): OpenAI's envelope with type
    new_api_error, and the gateway's request id after the message."""
    body = {
        "error": {
            "message": "{message} (request id: {trace_id})",
            "type": "new_api_error",
            "code": code,
        }
    }
    return ErrorCase(name, status, body, source, message=message, **more)


ERRORS = {
    e.name: e
    for e in (
        _openai(
            "validation-error", 400, "invalid_request_error", None, "Invalid request parameters"
        ),
        _openai(
            "unsupported-argument",
            400,
            "invalid_request_error",
            None,
            "Argument not supported: {argument}",
            scenario=False,
        ),
        _openai("malformed-body", 400, "invalid_request_error", None, "", scenario=False),
        _openai("invalid-body", 400, "invalid_request_error", None, "", scenario=False),
        _openai(
            "invalid-content-type",
            400,
            "invalid_request_error",
            None,
            "The request body must be JSON (Content-Type: application/json)",
            scenario=False,
        ),
        _openai("mock-usage", 400, "invalid_request_error", None, "", scenario=False),
        _openai(
            "moderation-rejected",
            400,
            "invalid_request_error",
            "content_policy_violation",
            "Generated image rejected by content moderation.",
            scenario=False,
        ),
        _new_api(
            "unauthorized",
            401,
            "",
            "无效的令牌",
            from_facts("§6 New API: an invalid token (its auth middleware)"),
        ),
        _new_api(
            "missing-key",
            401,
            "",
            "未提供令牌",
            from_facts("§6 New API: no token given (its auth middleware)"),
            scenario=False,
        ),
        _openai(
            "forbidden",
            403,
            "invalid_request_error",
            "model_not_allowed",
            "Your key is not allowed to use this model.",
        ),
        _openai(
            "model-not-found",
            404,
            "invalid_request_error",
            "model_not_found",
            "The model `{model}` does not exist or you do not have access to it.",
        ),
        _openai(
            "request-not-found",
            404,
            "invalid_request_error",
            "not_found",
            "No deferred image request {request_id} (unknown, or older than 24 hours).",
            scenario=False,
        ),
        _openai(
            "endpoint-not-found",
            404,
            "invalid_request_error",
            "not_found",
            "Not found",
            scenario=False,
        ),
        _openai("payload-too-large", 413, "invalid_request_error", None, "", scenario=False),
        _new_api(
            "insufficient-credits",
            403,
            "insufficient_user_quota",
            f"image pre-consumed quota failed, user quota: {_DOLLAR}{{balance}}, "
            f"need quota: {_DOLLAR}{{required}}",
            from_facts("§6 New API: image relay quota check (403 insufficient_user_quota)"),
        ),
        _openai(
            "rate-limited",
            429,
            "requests",
            "rate_limit_exceeded",
            "Rate limit reached for requests. Please try again later.",
        ),
        _openai("server-error", 500, "server_error", None, "Internal server error"),
        _openai(
            "bad-gateway",
            502,
            "upstream_error",
            "bad_response_status_code",
            "The upstream service answered with an error",
        ),
        _openai(
            "service-unavailable",
            503,
            "server_error",
            None,
            "The image service is temporarily unavailable",
            scenario=False,
        ),
        _openai(
            "gateway-timeout", 504, "upstream_error", "timeout", "The upstream service timed out"
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

AGTCLOUD = Contract(
    provider="agtcloud",
    title="agtcloud gateway (OpenAI-style Grok image API)",
    pages=(PAGE,),
    hosts=("api-cs-al.naci-tech.com",),
    prefix="/agtcloud",
    auth=Auth("Authorization", "Bearer", _PAGE),
    operations=operations(PAGE, GENERATE, EDIT, {}, created=True),
    models=MODELS,
    errors=ERRORS,
    outcomes=OUTCOMES,
    lifecycle=LIFECYCLE,
    retention=RETENTION,
    billing=Billing(
        charged=("succeeded",),
        unit="USD",
        source=inferred("the gateway passes on xAI's per-image prices (SOURCES §1.3)"),
        fees={"moderation-blocked": MODERATION_FEE},
    ),
    media_path="/xai-imgen/{job_id}/{token}.{ext}",
    content_types=("application/json",),
    shape_error="invalid-body",
    times="epoch-seconds",
    notes=(
        prompt_limit_note(),
        Note(
            "envelope",
            "Errors use OpenAI's nested envelope. The gateway's own refusals are New API's: a "
            "bad or missing token is 401 type new_api_error, no credits is 403 "
            "insufficient_user_quota (not OpenAI's 429, which the openai SDK would retry), "
            "each message ending '(request id: <time><random>)'. A moderation block is 400 "
            "content_policy_violation, as OpenAI answers it.",
            from_facts("§6 New API: its error wrapper, auth middleware and image relay"),
        ),
        Note(
            "parameters",
            "model is required; aspect_ratio takes the page's 13 ratios and auto; resolution 1k "
            "or 2k; n 1-10; response_format url or b64_json; images are JPEG.",
            _PAGE,
        ),
        Note(
            "xAI features",
            "Edits, deferred requests, quality on grok-imagine-image-2.0 and per-image moderation "
            "pass through as on xAI (the page defers to xAI's documentation for them).",
            inferred("the page says the gateway is compatible with xAI's image API"),
        ),
    ),
)
