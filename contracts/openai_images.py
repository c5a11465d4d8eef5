"""What the OpenAI-style image surfaces share: xAI's own API and gateways in front of it.

The wire format (paths, parameters, responses, deferred jobs) is one; the
gateways differ in hosts, error envelopes and what they document.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from contracts import _openai_bodies as bodies
from contracts._common import XAI_RATIOS, image_answers, prompt_param
from contracts._model import (
    MISSING,
    JobOutcome,
    Lifecycle,
    Model,
    Operation,
    Param,
    ResponseSpec,
    Retention,
    Rule,
    Source,
    documented,
    from_facts,
    inferred,
)

S1 = from_facts("§1.4-1.7 xAI OpenAPI spec (xai-org/xai-sdk-ts spec/openapi.json)")
_S7_PRICE = from_facts("§1.3 grok-imagine-image: $0.02/image (docs.x.ai Images overview)")
_PRICE_GUESS = inferred("no price found for this model; a placeholder per image")

# 1 USD = 10,000,000,000 ticks (SOURCES §1.6).
TICKS_PER_USD = 10_000_000_000
# A request blocked by content moderation is billed this usage-guidelines fee (SOURCES §5).
MODERATION_FEE = Decimal("0.05")
MAX_EDIT_IMAGES = 3
DEPRECATED_ALIASES = {"grok-imagine-image-pro": "grok-imagine-image-quality"}
# OpenAI arguments xAI refuses by name ("Argument not supported: size").
UNSUPPORTED = (
    "size",
    "style",
    "background",
    "moderation",
    "output_format",
    "output_compression",
    "partial_images",
    "stream",
)
MIME_TYPE = "image/jpeg"


def _model(model_id: str, price: str, source: Source) -> Model:
    return Model(
        model_id,
        params=(),
        source=S1,
        price_per_image=Decimal(price),
        price_source=source,
        returns="json",
    )


MODELS = {
    m.id: m
    for m in (
        _model("grok-imagine-image", "0.02", _S7_PRICE),
        _model("grok-imagine-image-quality", "0.07", _PRICE_GUESS),
        _model("grok-imagine-image-pro", "0.07", _PRICE_GUESS),
        _model("grok-imagine-image-2.0", "0.04", _PRICE_GUESS),
    )
}


def generation_params(
    page: str, ratios: tuple[str, ...], resolutions: tuple[str, ...], model_required: bool
) -> tuple[Param, ...]:
    source = documented(page)
    return (
        prompt_param(page, "Text description of the desired image."),
        Param(
            "model",
            "string",
            source,
            "The model to use (grok-imagine-image when left out).",
            required=model_required,
            default=MISSING if model_required else "grok-imagine-image",
        ),
        Param("n", "integer", source, "Number of images, 1-10.", default=1, minimum=1, maximum=10),
        Param(
            "response_format",
            "string",
            source,
            "url (temporary URLs) or b64_json (bare base64).",
            default="url",
            enum=("url", "b64_json"),
        ),
        Param(
            "aspect_ratio",
            "string",
            source,
            "Width-to-height ratio; auto lets the model choose.",
            default="auto",
            enum=(*ratios, "auto"),
        ),
        Param("resolution", "string", source, "Output resolution.", default="1k", enum=resolutions),
        Param("user", "string", source, "End-user identifier for monitoring."),
        Param(
            "quality",
            "string",
            S1,
            "Quality tier; grok-imagine-image-2.0 only (others ignore it).",
            enum=("low", "medium", "high", "auto"),
        ),
        Param(
            "deferred",
            "boolean",
            from_facts("§1.7 xAI deferred mode"),
            "Answer a request_id at once; poll GET /v1/images/{request_id}.",
            default=False,
        ),
        Param("output", "object", S1, "Upload targets (not emulated; ignored)."),
        Param("storage_options", "object", S1, "Files API storage (not emulated; ignored)."),
    )


_IMAGE = Param(
    "image",
    "object",
    from_facts("§1.5 EditImageRequest"),
    "The image to edit: {url} (http(s) or data: URI) or {file_id}.",
    properties=(
        Param("url", "string", S1, format="url-or-data", min_length=1),
        Param("file_id", "string", S1, min_length=1),
        Param("type", "string", S1, enum=("image_url",)),
    ),
    rules=(
        Rule(
            "at-least-one",
            ("url", "file_id"),
            from_facts("§1.5 EditImageRequest"),
            message="'{path}' needs a url or a file_id",
        ),
    ),
)


def edit_params(generation: tuple[Param, ...]) -> tuple[Param, ...]:
    shared = tuple(p for p in generation if p.name not in ("output", "storage_options"))
    return (
        *shared,
        _IMAGE,
        Param(
            "images",
            "array",
            from_facts("§1.5 EditImageRequest"),
            f"Several images to edit together, at most {MAX_EDIT_IMAGES}.",
            min_items=1,
            max_items=MAX_EDIT_IMAGES,
            items=_IMAGE,
        ),
        Param("mask", "object", from_facts("§1.5 (S5 lists mask)"), "A mask (not emulated)."),
    )


def operations(
    page: str,
    generate: tuple[Param, ...],
    edit: tuple[Param, ...],
    response_headers: Mapping[str, str],
    *,
    created: bool,
) -> tuple[Operation, ...]:
    """The four operations; `created`: the answer is stamped with its time, as OpenAI-style
    gateways answer (xAI itself does not)."""
    source = documented(page)
    deferred = from_facts("§1.7 deferred mode")
    rules = (
        Rule(
            "implies",
            ("deferred", "response_format"),
            inferred("a deferred result is fetched later, so it can only be a URL"),
            when=True,
            values=("url",),
            message="deferred requests only support response_format 'url'",
        ),
        Rule("refused", ("quality",), S1, values=("high",), models=("grok-imagine-image-2.0",)),
    )

    def images(description: str, origin: Source) -> tuple[ResponseSpec, ...]:
        return (
            ResponseSpec(
                200,
                description,
                origin,
                example={
                    **({"created": 1767225600} if created else {}),
                    "data": [
                        {
                            "url": "https://...",
                            "mime_type": MIME_TYPE,
                            "revised_prompt": "A watercolour fox in a misty pine forest.",
                        }
                    ],
                    "usage": {"cost_in_usd_ticks": 200000000},
                },
                schema=bodies.STAMPED_IMAGES if created else bodies.IMAGES,
                headers=response_headers,
            ),
            ResponseSpec(
                200,
                "deferred: true, the request's id to poll",
                deferred,
                schema=bodies.DEFERRED_ACCEPTED,
                headers=response_headers,
            ),
        )

    return (
        Operation(
            "generations",
            "POST",
            "/v1/images/generations",
            "Generate images: {created, data: [{url | b64_json, mime_type}], usage}.",
            "submit",
            source,
            responses=images("The images", source),
            model_in="body",
            params=generate,
            rules=rules,
        ),
        Operation(
            "edits",
            "POST",
            "/v1/images/edits",
            "Edit one image (image) or several (images); JSON only, not multipart.",
            "submit",
            from_facts("§1.5 POST /v1/images/edits"),
            responses=images("The edited images", from_facts("§1.5 POST /v1/images/edits")),
            model_in="body",
            params=edit,
            rules=(
                Rule("exactly-one", ("image", "images"), from_facts("§1.5 EditImageRequest")),
                *rules,
            ),
        ),
        Operation(
            "deferred",
            "GET",
            "/v1/images/{request_id}",
            "A deferred request: 202 pending, 200 done or failed, 404 unknown or expired.",
            "read",
            deferred,
            job_param="request_id",
            responses=(
                ResponseSpec(
                    202, "Still pending", deferred, schema=bodies.PENDING, headers=response_headers
                ),
                ResponseSpec(
                    200,
                    "Done (the images) or failed (the error)",
                    deferred,
                    schema=bodies.DEFERRED_ENDED,
                    headers=response_headers,
                ),
            ),
        ),
        Operation(
            "media",
            "GET",
            "/xai-imgen/{job_id}/{token}.{ext}",
            "A temporary image URL.",
            "media",
            inferred(
                "image URLs must point back at the emulator; xAI's CDN path is not documented"
            ),
            responses=image_answers(
                "The image", inferred("served by the emulator"), types=(MIME_TYPE,)
            ),
        ),
    )


OUTCOMES = {
    "job-failed": JobOutcome(
        "failed",
        "Image generation failed",
        inferred(
            "deferred failures carry error.code; 'internal_error' is one of the documented "
            "codes, the text is ours"
        ),
        code="internal_error",
    ),
    "job-error": JobOutcome(
        "errored",
        "The image service is temporarily unavailable",
        inferred("'service_unavailable' is a documented deferred error code; not charged"),
        code="service_unavailable",
    ),
    "moderation-blocked": JobOutcome(
        "failed",
        "Generated image rejected by content moderation.",
        from_facts("§5 Content moderation: whole request rejected, billed $0.05"),
        code="invalid_argument",
    ),
    "image-moderated": JobOutcome(
        "succeeded",
        "Image did not respect moderation rules; URL is not available.",
        from_facts("§5 Per-image moderation: respect_moderation false with no url / b64_json"),
        code="respect_moderation",
    ),
}

LIFECYCLE = Lifecycle(
    phases=("pending",),
    succeeded="done",
    failed="failed",
    errored=None,
    durations={"fast": (1.0,), "realistic": (7.0,)},
    source=from_facts("§1.7 deferred: pending, done, failed"),
    durations_source=inferred("xAI publishes no generation time; about 7 s is typical"),
)

RETENTION = Retention(
    record_seconds=24 * 3600,
    record_source=from_facts("§1.7 deferred results are kept for 24 hours"),
    media_seconds=24 * 3600,
    media_source=inferred(
        "URLs are 'temporary' (SOURCES §1.6); they live as long as deferred results"
    ),
)

RATIOS_2026 = (*XAI_RATIOS, "21:9", "5:2")
