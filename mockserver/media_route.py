"""The bytes behind output URLs, for every provider surface."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from mockserver.engine import Emulator, MediaRef, Refusal
from mockserver.responses import Answer

if TYPE_CHECKING:
    from mockserver.call import Call


async def image_bytes(emulator: Emulator, provider: str, ref: MediaRef) -> bytes:
    """An image's bytes; the first of a look is rendered (tens of ms) off the event loop."""
    data = emulator.cached_media_bytes(provider, ref)
    if data is None:
        data = await run_in_threadpool(emulator.media_bytes, provider, ref)
    return data


async def serve_media(call: Call) -> Response:
    """GET an output URL: the image, or the provider's not-found once it expired."""
    call.choose()  # downloads can be faulted too (a rule, chaos or the header)
    ref = call.emulator.resolve_media(call.params["job_id"], call.params["token"])
    if ref is None or call.params["ext"] != ref.format:
        raise Refusal("media-not-found")
    call.entry.job_id = ref.job_id
    data = await image_bytes(call.emulator, call.provider, ref)
    max_age = max(0, int(ref.expires_at - call.emulator.clock.now()))
    cache = [(b"cache-control", b"public, max-age=%d" % max_age)]
    return Answer(data, 200, ref.mime_type.encode(), cache)
