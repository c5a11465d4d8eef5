"""Apikley: Kie.ai's market jobs API (createTask, recordInfo, callbacks) for Grok Imagine."""

from __future__ import annotations

from decimal import Decimal

from contracts._apikley_operations import (
    ERRORS,
    KIE_OPENAPI,
    OPERATIONS,
    PAGE,
    PAGE_SOURCE,
    WEBHOOKS,
)
from contracts._apikley_operations import KIE as KIE_SOURCE
from contracts._model import (
    Auth,
    Billing,
    Contract,
    JobOutcome,
    Lifecycle,
    Limits,
    Model,
    Note,
    Param,
    Retention,
    Source,
    documented,
    from_facts,
    inferred,
)

_KIE_MODELS = from_facts("§2 Kie Grok Imagine models")
_HTTP_TOO = inferred(
    "401, 429 and 500 are also the HTTP status (Kie's OpenAPI keys them by status; a captured "
    "client test shows HTTP 429); every other body code rides on HTTP 200, as the captured "
    "'recordInfo is null' 422 does"
)
_PRICE = inferred("the page shows no price; a placeholder in credits. Configure your own.")
ASPECT_RATIOS = ("2:3", "3:2", "1:1")
# Kie's own spec for grok-imagine/text-to-image lists two more than the Apikley page.
KIE_ASPECT_RATIOS = (*ASPECT_RATIOS, "9:16", "16:9")
_KIE_SPEC = from_facts("§2 Kie Grok Imagine models: Kie's model specs (ComfyUI-Kie-API docs)")

_PROMPT = Param(
    "prompt",
    "string",
    PAGE_SOURCE,
    description="Text prompt describing the desired image; at most 5000 characters.",
    required=True,
    min_length=1,
    max_length=5000,
)
_EDIT_PROMPT = Param(
    "prompt",
    "string",
    _KIE_SPEC,
    description="What to change or which style to take; optional, at most 390,000 characters.",
    max_length=390_000,
)


def _models(ratios: tuple[str, ...], ratios_source: Source) -> dict[str, Model]:
    """The three Grok Imagine image models; text-to-image takes the host's ratios."""
    return {
        m.id: m
        for m in (
            Model(
                "grok-imagine/text-to-image",
                params=(
                    _PROMPT,
                    Param(
                        "aspect_ratio",
                        "string",
                        ratios_source,
                        description="Width-to-height ratio of the image.",
                        default="1:1",
                        enum=ratios,
                    ),
                ),
                source=PAGE_SOURCE,
                price_per_image=Decimal("4"),
                price_source=_PRICE,
                task="text-to-image",
            ),
            Model(
                "grok-imagine/image-to-image",
                params=(
                    _EDIT_PROMPT,
                    Param(
                        "image_urls",
                        "array",
                        _KIE_MODELS,
                        description="One image URL (JPEG, PNG or WebP, at most 10 MB).",
                        required=True,
                        min_items=1,
                        max_items=1,
                        items=Param("image_urls[]", "string", _KIE_MODELS, format="url-or-data"),
                    ),
                ),
                source=_KIE_MODELS,
                price_per_image=Decimal("4"),
                price_source=_PRICE,
                task="edit",
            ),
            Model(
                "grok-imagine/upscale",
                params=(
                    Param(
                        "task_id",
                        "string",
                        _KIE_MODELS,
                        description="A finished Grok Imagine image task of this account.",
                        required=True,
                        min_length=1,
                    ),
                ),
                source=_KIE_MODELS,
                price_per_image=Decimal("2"),
                price_source=_PRICE,
                task="upscale",
            ),
        )
    }


MODELS = _models(ASPECT_RATIOS, PAGE_SOURCE)


OUTCOMES = {
    "job-failed": JobOutcome(
        "failed",
        "Generation failed: the model could not produce an image for this prompt",
        inferred("state fail with failCode/failMsg is documented; code and text are ours"),
        code="501",
    ),
    "moderation-blocked": JobOutcome(
        "failed",
        "Generated image rejected by content moderation.",
        from_facts("§5: xAI's moderation text, reported as a failed generation"),
        code="501",
    ),
    "job-error": JobOutcome(
        "errored",
        "Internal error while generating; the task was not charged",
        inferred("Kie has no separate error state: a system error is a 'fail' with code 500"),
        code="500",
    ),
}

_LIFECYCLE = Lifecycle(
    phases=("waiting", "queuing", "generating"),
    succeeded="success",
    failed="fail",
    errored=None,
    durations={"fast": (0.2, 0.3, 0.6), "realistic": (0.5, 1.5, 6.0)},
    source=KIE_SOURCE,
    durations_source=documented(f"{PAGE}: standard generation takes 5-10 seconds"),
)
_RETENTION = Retention(
    record_seconds=24 * 3600,
    record_source=inferred(
        "Kie documents 24 h for result URLs and nothing for records; both expire together, "
        "and an expired task answers as an unknown one ('recordInfo is null')"
    ),
    media_seconds=24 * 3600,
    media_source=documented(f"{PAGE}: generated image URLs are valid for 24 hours"),
)

_SHARED_NOTES = (
    Note(
        "HTTP status",
        "Errors are in the body code; 401, 429 and 500 are also the HTTP status, every "
        "other code (402, 404, 422, 455, 501, 505) comes with HTTP 200.",
        _HTTP_TOO,
    ),
    Note(
        "unknown task",
        "recordInfo for an unknown, expired or another account's taskId answers "
        '{"code": 422, "msg": "recordInfo is null", "data": null}.',
        KIE_OPENAPI,
    ),
    Note(
        "expiry",
        "Result URLs and task records live 24 hours; after that the URLs answer 404 and "
        "recordInfo answers as for an unknown task.",
        inferred("the page gives 24 h for URLs; Kie documents nothing for records"),
    ),
    Note(
        "callbacks",
        "When the task ends, callBackUrl gets {code: 200 or 501, msg, data: <recordInfo "
        "data>}; data also carries task_id, which Kie's signature sample reads.",
        inferred(
            "SOURCES §2: the body is inferred from third-party code; the schema says "
            "taskId and the verification sample says task_id, so both are sent"
        ),
    ),
    Note(
        "signing",
        "With a webhook key on the account, callbacks carry X-Webhook-Timestamp (seconds, "
        "emulator clock) and X-Webhook-Signature = base64(HMAC-SHA256(taskId + '.' + "
        "timestamp, key)).",
        from_facts("§2 Callbacks: Webhook HMAC (docs.kie.ai/common-api/webhook-verification)"),
    ),
    Note(
        "images per task",
        "One image per task (text-to-image and image-to-image); upscale makes one 2k image "
        "per image of its source task.",
        documented(f"{PAGE}: 'Single image per request'; upscale output is inferred"),
    ),
    Note(
        "sizes",
        "Images are 1k at the requested ratio (no resolution parameter); image-to-image keeps "
        "its input's ratio (nearest documented), upscale doubles to 2k.",
        inferred("the page has no resolution parameter; xAI's default is 1k"),
    ),
    Note(
        "limits",
        "50 concurrent tasks and 500 creations per hour per account are enforced in the "
        "realistic profile (Settings.enforce_limits turns them on or off anywhere).",
        PAGE_SOURCE,
    ),
    Note(
        "param",
        "recordInfo's param is the createTask body as JSON text; an inline image (a data "
        "URI) longer than 1 KiB appears as its size and SHA-256 instead of its bytes.",
        inferred(
            "Kie echoes the request; it takes image URLs, and the emulator, which also "
            "reads data URIs, does not hold their bytes for the record's 24 hours"
        ),
    ),
    Note(
        "credits",
        "recordInfo and callbacks carry consumeCredits (what the finished task was charged; 0 "
        "until it succeeds) and remainedCredits (the account's balance after it); GET "
        '/api/v1/chat/credit answers {"code": 200, "msg": "success", "data": <balance>}.',
        from_facts("§2: Kie's callback examples and clients of its credit endpoint"),
    ),
)


def _contract(
    provider: str,
    title: str,
    hosts: tuple[str, ...],
    ratios: tuple[tuple[str, ...], Source],
    job_ids: tuple[str, Note],
) -> Contract:
    """One Kie-style host: the jobs API, callbacks and limits, with its own ratios and ids."""
    (accepted, ratios_source), (id_format, id_note) = ratios, job_ids
    ratios_note = Note(
        "aspect ratios",
        f"Text-to-image takes aspect_ratio {', '.join(accepted)}.",
        ratios_source,
    )
    return Contract(
        provider=provider,
        title=title,
        pages=(PAGE,),
        hosts=hosts,
        prefix=f"/{provider}",
        auth=Auth("Authorization", "Bearer", PAGE_SOURCE),
        operations=OPERATIONS,
        models=_models(accepted, ratios_source),
        errors=ERRORS,
        outcomes=OUTCOMES,
        lifecycle=_LIFECYCLE,
        retention=_RETENTION,
        billing=Billing(
            charged=("succeeded",),
            unit="credits",
            source=inferred("failed generations are not charged, as on Kie's market models"),
        ),
        media_path="/tempfile/{job_id}/{token}.{ext}",
        job_ids=id_format,
        times="epoch-millis",
        limits=Limits(concurrent=50, per_hour=500, source=PAGE_SOURCE),
        webhooks=WEBHOOKS,
        notes=(*_SHARED_NOTES, ratios_note, id_note),
        tolerated=("record-not-ready",),
    )


APIKLEY = _contract(
    "apikley",
    "Apikley Grok Imagine (Kie.ai-style jobs API)",
    ("api.apikley.ru",),
    (ASPECT_RATIOS, documented(f"{PAGE}: aspect_ratio 2:3, 3:2, 1:1")),
    (
        "task_grok_{hex16}",
        Note(
            "taskId",
            "taskIds look like the page's example: 'task_grok_' then 16 hex digits.",
            documented(f"{PAGE}: taskId example task_grok_12345678"),
        ),
    ),
)
KIE = _contract(
    "kie",
    "Kie.ai Grok Imagine (the market jobs API Apikley clones)",
    ("api.kie.ai",),
    (KIE_ASPECT_RATIOS, _KIE_SPEC),
    (
        "{hex32}",
        Note(
            "taskId",
            "taskIds are 32 lowercase hex digits with no prefix, as in Kie's callback examples; "
            "'task_grok_12345678' is only its docs' placeholder.",
            from_facts("§2 Callbacks: Kie's callback example taskId"),
        ),
    ),
)
