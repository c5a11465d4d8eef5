"""The OpenAI-style image answers (xAI and its gateways), as the emulator sends them."""

from __future__ import annotations

from contracts._schema import array, boolean, const, integer, nullable, obj, string, uri

# One image: url or b64_json by response_format, and the prompt as the model rewrote it; a
# per-image moderation block leaves the image null and says respect_moderation: false.
IMAGE = obj(
    {
        "url": nullable(uri()),
        "b64_json": nullable(string()),
        "mime_type": string(),
        "revised_prompt": string(),
        "respect_moderation": boolean(),
    },
    optional=("url", "b64_json", "revised_prompt", "respect_moderation"),
)
_IMAGES = {"data": array(IMAGE, minItems=1), "usage": obj({"cost_in_usd_ticks": integer()})}

# xAI's answer has no `created` (its schema and SDK fixtures); OpenAI-style gateways add it.
IMAGES = obj(_IMAGES)
STAMPED_IMAGES = obj({"created": integer(), **_IMAGES})
DEFERRED_ACCEPTED = obj({"request_id": string()})
PENDING = obj({"request_id": string(), "status": const("pending")})
DEFERRED_ENDED = {
    "anyOf": [
        obj({"request_id": string(), "status": const("done"), **_IMAGES}),
        obj(
            {
                "request_id": string(),
                "status": const("failed"),
                "error": obj({"code": string(), "message": string()}),
            }
        ),
    ]
}
