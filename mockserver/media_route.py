"""Output URLs and the bytes behind them, for every provider surface."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from mockserver.engine import Job, MediaRef, Refusal
from mockserver.surface import Call


def media_url(call: Call, ref: MediaRef) -> str:
    token = call.emulator.media_token(ref)
    return call.url(
        call.contract.media_path.format(job_id=ref.job_id, file=f"{token}.{ref.format}")
    )


def media_urls(call: Call, job: Job) -> list[str]:
    return [media_url(call, ref) for ref in call.emulator.media_refs(job)]


async def serve_media(call: Call) -> Response:
    """GET an output URL: the image, or the provider's not-found once it expired."""
    token, _, ext = call.params["file"].partition(".")
    ref = call.emulator.resolve_media(call.params["job_id"], token)
    if ref is None or ext != ref.format:
        raise Refusal("media-not-found")
    call.entry.job_id = ref.job_id
    # The first image of a size is rendered (tens of ms): keep it off the event loop.
    data = await run_in_threadpool(call.emulator.media_bytes, call.provider, ref)
    max_age = max(0, int(ref.expires_at - call.emulator.clock.now()))
    return Response(
        data, media_type=ref.mime_type, headers={"cache-control": f"public, max-age={max_age}"}
    )
