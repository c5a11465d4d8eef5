"""Output URLs and the bytes behind them, for every provider surface."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from contracts import Contract
from mockserver.engine import Emulator, Job, MediaRef, Refusal
from mockserver.surface import Call


def media_link(emulator: Emulator, contract: Contract, base_url: str, ref: MediaRef) -> str:
    """The output URL for `ref` under `base_url` (the provider's base the client used)."""
    token = emulator.media_token(ref)
    return base_url + contract.media_path.format(job_id=ref.job_id, token=token, ext=ref.format)


def media_urls(call: Call, job: Job) -> list[str]:
    return [
        media_link(call.emulator, call.contract, call.base_url, ref)
        for ref in call.emulator.media_refs(job)
    ]


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
    return Response(
        data, media_type=ref.mime_type, headers={"cache-control": f"public, max-age={max_age}"}
    )
