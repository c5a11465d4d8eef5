"""Segmind: sync v1 and queued v2 for the two Grok Imagine slugs."""

from __future__ import annotations

from decimal import Decimal

from contracts._common import (
    OUTPUT_FORMATS,
    RESOLUTIONS,
    prompt_limit_note,
    prompt_param,
)
from contracts._model import (
    Auth,
    Billing,
    Contract,
    JobOutcome,
    Lifecycle,
    Model,
    Note,
    Param,
    Retention,
    documented,
    from_facts,
    inferred,
)
from contracts._segmind_operations import (
    ERRORS,
    ERRORS_SOURCE,
    IMAGE_PAGE,
    OPERATIONS,
    QUALITY_PAGE,
)

ASPECT_RATIOS = (
    "1:1",
    "3:4",
    "4:3",
    "9:16",
    "16:9",
    "2:3",
    "3:2",
    "9:19.5",
    "19.5:9",
    "9:20",
    # The pages show ten values and "+4 more": these four complete xAI's list.
    "20:9",
    "1:2",
    "2:1",
    "auto",
)


def _prompt(page: str) -> Param:
    return prompt_param(page, "Text prompt describing the image to generate or the edit to apply.")


def _common(page: str, output_format: str) -> tuple[Param, ...]:
    return (
        _prompt(page),
        Param(
            "aspect_ratio",
            "string",
            documented(page),
            description="Output aspect ratio, ignored when an input image sets the size.",
            default="16:9",
            enum=ASPECT_RATIOS,
        ),
        Param(
            "n",
            "integer",
            documented(page),
            description="Number of images per request, each billed separately.",
            default=1,
            minimum=1,
            maximum=4,
        ),
        Param(
            "output_format",
            "string",
            documented(page),
            description="Output file format.",
            default=output_format,
            enum=OUTPUT_FORMATS,
        ),
        Param(
            "resolution",
            "string",
            documented(page),
            description="Output resolution tier.",
            default="2k",
            enum=RESOLUTIONS,
        ),
    )


_PRICE_SOURCE = inferred(
    "Segmind's pages show no price; $0.02 is xAI's list price for grok-imagine-image "
    "(SOURCES §1.3) and $0.07 a placeholder for the quality tier. Configure your own."
)

MODELS = {
    "grok-imagine-image": Model(
        "grok-imagine-image",
        params=(
            *_common(IMAGE_PAGE, "png"),
            Param(
                "image",
                "string",
                documented(IMAGE_PAGE),
                description="Optional source image (URL or base64) to edit.",
                default=None,
                format="image",
            ),
            Param(
                "mode",
                "string",
                documented(IMAGE_PAGE),
                description="standard is fast and economical, quality maximizes fidelity.",
                default="standard",
                enum=("standard", "quality"),
            ),
        ),
        source=documented(IMAGE_PAGE),
        price_per_image=Decimal("0.02"),
        price_source=_PRICE_SOURCE,
        returns="image",
        returns_source=documented(f"{IMAGE_PAGE}: 'Returns: Image'"),
    ),
    "grok-imagine-image-quality": Model(
        "grok-imagine-image-quality",
        params=_common(QUALITY_PAGE, "jpeg"),
        source=documented(QUALITY_PAGE),
        price_per_image=Decimal("0.07"),
        price_source=_PRICE_SOURCE,
        returns="json",
        returns_source=documented(f"{QUALITY_PAGE}: 'Returns: Text/JSON'"),
    ),
}
QUALITY_MODE_PRICE = MODELS["grok-imagine-image-quality"].price_per_image

OUTCOMES = {
    "job-failed": JobOutcome(
        "failed",
        "Inference failed: the model could not generate an image for this request",
        inferred("FAILED and its 422 are documented; the error text is ours"),
    ),
    "job-error": JobOutcome(
        "failed",
        "Internal error while running the model",
        inferred("Segmind has no separate system-error state: FAILED covers every error"),
    ),
    "moderation-blocked": JobOutcome(
        "failed",
        "Generated image rejected by content moderation.",
        documented(
            f"{IMAGE_PAGE}: content/RAI blocks surface as FAILED; the text is xAI's (SOURCES §5)"
        ),
    ),
}

SEGMIND = Contract(
    provider="segmind",
    title="Segmind Grok Imagine (sync v1 and queued v2)",
    pages=(IMAGE_PAGE, QUALITY_PAGE),
    hosts=("api.segmind.com",),
    prefix="/segmind",
    auth=Auth(
        "x-api-key",
        None,
        ERRORS_SOURCE,
        # A bearer token is a key in the wrong place, not a missing one.
        foreign=("authorization",),
    ),
    operations=OPERATIONS,
    models=MODELS,
    errors=ERRORS,
    outcomes=OUTCOMES,
    lifecycle=Lifecycle(
        phases=("QUEUED", "PROCESSING"),
        succeeded="COMPLETED",
        failed="FAILED",
        errored=None,
        durations={"fast": (0.4, 0.8), "realistic": (0.6, 9.74)},
        source=documented(IMAGE_PAGE),
        durations_source=documented(f"{IMAGE_PAGE}: '~10.34s'; the queue share is inferred"),
    ),
    retention=Retention(
        record_seconds=3600,
        record_source=documented(f"{IMAGE_PAGE}: results are retained for 1 hour"),
        media_seconds=7 * 24 * 3600,
        media_source=inferred(
            "Segmind's logging docs (via API Evangelist's conventions file): output files "
            "are deleted after 7 days, well after the request record"
        ),
    ),
    billing=Billing(
        charged=("succeeded",),
        unit="credits (USD)",
        source=from_facts("§3 Errors: only HTTP 200 is billed; failed jobs are not charged"),
    ),
    media_path="/media/{job_id}/{token}.{ext}",
    content_types=("application/json", "multipart/form-data"),
    notes=(
        prompt_limit_note(),
        Note(
            "aspect_ratio",
            "The pages list ten ratios and '+4 more'; the four are 20:9, 1:2, 2:1 and auto, "
            "xAI's list of thirteen ratios plus auto.",
            from_facts("§1.4 aspect_ratio: 13 ratios + auto = 14 values"),
        ),
        Note(
            "billing",
            "Only successful work is billed: a v2 job is charged when it completes, never "
            "when it fails; mode 'quality' is priced as the quality slug.",
            from_facts("§3 Errors: only HTTP 200 is billed"),
        ),
        Note(
            "v1 output",
            "v1 of grok-imagine-image returns the first image's bytes, even when n > 1; "
            "the quality slug's v1 JSON is the v2 result body.",
            inferred(
                "the pages say Image and Text/JSON without showing a body; a JSON client "
                "that reads v2's output works unchanged on v1"
            ),
        ),
        Note(
            "v1 failures",
            "A generation that fails during a v1 call answers 500 with the failure text.",
            from_facts(
                "§3 Errors: 500 is an internal error, often a parameter the model "
                "rejected while running"
            ),
        ),
        Note(
            "v2 image input",
            "A v2 submit with an unreadable image still answers 200; the job then FAILS "
            "with a message naming the problem. On v1 the model meets the image during the "
            "call, which answers 500 with that message.",
            from_facts(
                "§3: media-edit submits return 200 and validate later; a 500 is often a "
                "parameter the model rejected while running"
            ),
        ),
        Note(
            "v2 output",
            "output is the image's URL (a string) for one image, and a list of URLs when n > 1. "
            "metrics carry cost and remaining_credits on success; retry_count appears only "
            "after a retry, which the emulator never makes.",
            from_facts(
                "§3: the official SDK's docs ('the generated media is a URL in "
                'result["output"]\'), client fixtures of image models; the list for n > 1 '
                "is inferred"
            ),
        ),
        Note(
            "content type",
            "A body without Content-Type application/json (or multipart/form-data) is "
            "refused with 406 'Invalid content type'.",
            ERRORS_SOURCE,
        ),
        Note(
            "visibility",
            "A request is visible only to the key that created it; another key gets 404.",
            inferred("Segmind's records are per account; the exact answer is not documented"),
        ),
        Note(
            "rate-limit header",
            "x-rate-limit-reset-at-utc carries an ISO 8601 UTC time, one minute ahead.",
            inferred("the header is documented, its format is not"),
        ),
    ),
)
