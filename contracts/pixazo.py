"""Pixazo: queued Grok Imagine text-to-image and edit behind Azure API Management."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from contracts._common import (
    OUTPUT_FORMATS,
    RESOLUTIONS,
    XAI_RATIOS,
    prompt_limit_note,
    prompt_param,
)
from contracts._model import (
    Auth,
    Billing,
    Contract,
    ErrorCase,
    JobOutcome,
    Lifecycle,
    Model,
    Note,
    Param,
    Retention,
    Source,
    documented,
    from_facts,
    inferred,
)
from contracts._pixazo_operations import OPERATIONS, PAGE, PAGE_SOURCE, WEBHOOKS

_FACTS_IDS = from_facts("§4 Pixazo / Grok Imagine model IDs (Pixazo-AI/skills SKILL.md)")
_APIM = inferred(
    "Ocp-Apim-Subscription-Key is Azure API Management's header; this is APIM's stock body"
)
_OURS = inferred("the page lists the code; the body text is ours, in Pixazo's queue-error shape")
_PRICE = inferred("the page shows no price; a placeholder per image. Configure your own.")


def _shared(
    page_source: Source, *, edit: bool, max_images: int, resolution: bool = True
) -> tuple[Param, ...]:
    ratios = ("auto", *XAI_RATIOS) if edit else XAI_RATIOS
    params = [
        prompt_param(PAGE, "Text description of the desired image, or the edit to apply."),
        Param(
            "num_images",
            "integer",
            page_source,
            description="Number of images to generate.",
            default=1,
            minimum=1,
            maximum=max_images,
        ),
        Param(
            "aspect_ratio",
            "string",
            page_source,
            description="Output aspect ratio" + (" ('auto' keeps the input's)." if edit else "."),
            default="auto" if edit else "1:1",
            enum=ratios,
        ),
        Param(
            "output_format",
            "string",
            page_source,
            description="Output image format.",
            default="jpeg",
            enum=OUTPUT_FORMATS,
        ),
        Param(
            "sync_mode",
            "boolean",
            page_source,
            description="If true, media comes back as base64 data URIs instead of CDN URLs.",
            default=False,
        ),
    ]
    if resolution:
        params.append(
            Param(
                "resolution",
                "string",
                page_source,
                description="Output resolution tier.",
                default="1k",
                enum=RESOLUTIONS,
            )
        )
    if edit:
        params.insert(
            1,
            Param(
                "image_urls",
                "array",
                page_source,
                description="URLs (or data URIs) of the source images to edit; at most 3.",
                required=True,
                min_items=1,
                max_items=3,
                items=Param("image_urls[]", "string", page_source, format="url-or-data"),
            ),
        )
    return tuple(params)


_QUALITY = Param(
    "quality",
    "string",
    inferred(
        "SOURCES §4 says the 2.0 body adds quality without listing values; these are xAI's "
        "values across its schema versions (SOURCES §1.4)"
    ),
    description="Quality tier (Grok Imagine Image 2.0 only).",
    enum=("low", "medium", "high", "auto"),
)


def _model(
    model_id: str, endpoint: str, source: Source, task: str, params: tuple[Param, ...], price: str
) -> Model:
    return Model(
        model_id,
        params=params,
        source=source,
        price_per_image=Decimal(price),
        price_source=_PRICE,
        returns="json",
        route=f"/{model_id}/v1/{endpoint}",
        task=task,  # type: ignore[arg-type]
    )


MODELS = {
    m.route: m
    for m in (
        _model(
            "grok-imagine-pro-text-to-image-quality",
            "grok-imagine-pro-text-to-image-quality-request",
            PAGE_SOURCE,
            "text-to-image",
            _shared(PAGE_SOURCE, edit=False, max_images=4),
            "0.07",
        ),
        _model(
            "grok-imagine-pro-edit-quality",
            "grok-imagine-pro-edit-quality-request",
            PAGE_SOURCE,
            "edit",
            _shared(PAGE_SOURCE, edit=True, max_images=5),
            "0.07",
        ),
        _model(
            "grok-imagine-image-v2",
            "text-to-image",
            _FACTS_IDS,
            "text-to-image",
            (*_shared(_FACTS_IDS, edit=False, max_images=4), _QUALITY),
            "0.05",
        ),
        _model(
            "grok-imagine-image-v2",
            "edit",
            _FACTS_IDS,
            "edit",
            _shared(_FACTS_IDS, edit=True, max_images=5),
            "0.05",
        ),
        _model(
            "grok-imagine-api-641",
            "grok-imagine-api-request",
            _FACTS_IDS,
            "text-to-image",
            _shared(_FACTS_IDS, edit=False, max_images=4, resolution=False),
            "0.02",
        ),
    )
}


def _queue(
    name: str, status: int, error: str, source: Source, message: str = "", **more: Any
) -> ErrorCase:
    """A queue-system error: `{"error": <title>, "message": <detail>}`."""
    return ErrorCase(
        name, status, {"error": error, "message": "{message}"}, source, message=message, **more
    )


def _apim(name: str, status: int, message: str, **more: Any) -> ErrorCase:
    return ErrorCase(
        name, status, {"statusCode": status, "message": "{message}"}, _APIM, message=message, **more
    )


ERRORS = {
    e.name: e
    for e in (
        _queue(
            "model-not-found",
            400,
            "Model not found",
            PAGE_SOURCE,
            "Model '{model}' not found or is disabled",
        ),
        _queue(
            "validation-error",
            400,
            "Bad Request",
            PAGE_SOURCE,
            "Invalid request parameters",
            wording=_OURS,
        ),
        _queue(
            "mock-usage",
            400,
            "Bad Request",
            inferred("a mock-only refusal, rendered in Pixazo's queue-error shape"),
            scenario=False,
        ),
        _apim(
            "missing-key",
            401,
            "Access denied due to missing subscription key. Make sure to include subscription "
            "key when making requests to an API.",
            scenario=False,
        ),
        _apim(
            "unauthorized",
            401,
            "Access denied due to invalid subscription key. Make sure to provide a valid key for "
            "an active subscription.",
        ),
        _queue(
            "insufficient-credits",
            402,
            "Insufficient Balance",
            PAGE_SOURCE,
            "Your wallet does not have enough balance.",
        ),
        _queue(
            "forbidden",
            403,
            "Forbidden",
            PAGE_SOURCE,
            "Your subscription does not have access to this model",
            wording=_OURS,
        ),
        _queue(
            "request-not-found",
            404,
            "Not Found",
            inferred("the page does not say what an unknown request_id answers"),
            "Request '{request_id}' not found",
            scenario=False,
        ),
        _apim("endpoint-not-found", 404, "Resource not found", scenario=False),
        _queue(
            "payload-too-large",
            413,
            "Payload Too Large",
            inferred("no body limit is documented; an oversized body is refused unread"),
            scenario=False,
        ),
        _apim(
            "rate-limited",
            429,
            "Rate limit is exceeded. Try again in 60 seconds.",
            headers={"Retry-After": "60"},
        ),
        _queue(
            "server-error",
            500,
            "Internal Server Error",
            PAGE_SOURCE,
            "An unexpected error occurred while processing the request",
            wording=_OURS,
        ),
        ErrorCase(
            "media-not-found",
            404,
            '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code>'
            "<Message>The specified key does not exist.</Message></Error>",
            inferred("R2 is S3-compatible; a missing or expired object answers S3's NoSuchKey"),
            content_type="application/xml",
            scenario=False,
        ),
    )
}

OUTCOMES = {
    "job-failed": JobOutcome(
        "failed",
        "Generation failed: the model could not produce an image for this request",
        inferred("FAILED and its error field are documented; the text is ours"),
    ),
    "job-error": JobOutcome(
        "errored",
        "Internal error: the model service did not respond",
        documented(f"{PAGE}: ERROR is a system error, not charged; the text is ours"),
    ),
    "moderation-blocked": JobOutcome(
        "failed",
        "Generated image rejected by content moderation.",
        from_facts("§5: xAI's moderation text; Pixazo reports failures as FAILED with error"),
    ),
}

PIXAZO = Contract(
    provider="pixazo",
    title="Pixazo Grok Imagine (queued, with webhooks)",
    pages=(PAGE,),
    hosts=("gateway.pixazo.ai",),
    prefix="/pixazo",
    auth=Auth("Ocp-Apim-Subscription-Key", None, PAGE_SOURCE),
    operations=OPERATIONS,
    models=MODELS,
    errors=ERRORS,
    outcomes=OUTCOMES,
    lifecycle=Lifecycle(
        phases=("QUEUED", "PROCESSING"),
        succeeded="COMPLETED",
        failed="FAILED",
        errored="ERROR",
        durations={"fast": (0.4, 0.8), "realistic": (2.0, 13.0)},
        source=PAGE_SOURCE,
        durations_source=documented(
            f"{PAGE}: the COMPLETED example completes 15 s after creation; the queue share is ours"
        ),
    ),
    retention=Retention(
        record_seconds=7 * 24 * 3600,
        record_source=inferred("the page states no retention; a week keeps every test's ids alive"),
        media_seconds=7 * 24 * 3600,
        media_source=inferred("the page states no retention for its R2 media"),
    ),
    billing=Billing(
        charged=("succeeded", "failed"),
        unit="USD (wallet)",
        source=documented(f"{PAGE}: ERROR is a system error, not charged; FAILED is not exempted"),
    ),
    media_path="/r2/v1/{job_id}/{token}/output.{ext}",
    webhooks=WEBHOOKS,
    job_ids="{model}_{uuid7}",
    times="iso-millis",
    notes=(
        prompt_limit_note(),
        Note(
            "request_id",
            "request_id is '<model>_<uuid>'; the UUID is time-ordered (version 7) as the "
            "page's '019d...' examples are.",
            PAGE_SOURCE,
        ),
        Note(
            "status bodies",
            "Every status body carries request_id, status, model_id, error, output, created_at, "
            "updated_at and completed_at; output is null until COMPLETED.",
            inferred("the page shows the COMPLETED and ERROR bodies; the others follow them"),
        ),
        Note(
            "sync_mode",
            "sync_mode only changes how media comes back (data URIs); the request still queues.",
            inferred(
                "the page describes sync_mode as the media encoding; SOURCES §4's 'synchronous' "
                "SKILL.md contradicts the page, and the page wins"
            ),
        ),
        Note(
            "edit aspect ratio",
            "With aspect_ratio 'auto' an edit keeps its first input's ratio (nearest documented "
            "ratio); an input the emulator cannot read (an outside URL not allow-listed) falls "
            "back to 1:1.",
            inferred("the emulator never fetches the open internet"),
        ),
        Note(
            "webhooks",
            "With X-Webhook-URL the terminal status body is POSTed there once, retried with "
            "backoff (1, 2, 4, 8 s on the emulator clock; 5 attempts) while the receiver fails.",
            inferred("the page documents the header and the callback; retries are ours"),
        ),
        Note(
            "content type",
            "The body is read as JSON whatever its Content-Type.",
            inferred("the page always sends application/json and says nothing of others"),
        ),
        Note(
            "model ids beyond the page",
            "grok-imagine-image-v2 (text-to-image, edit; 'quality' on text-to-image) and the "
            "legacy grok-imagine-api-641 are served like the page's two models.",
            _FACTS_IDS,
        ),
        Note(
            "visibility",
            "A request is visible only to the key that created it; another key gets 404.",
            inferred("per-subscription records; the exact answer is not documented"),
        ),
    ),
)
