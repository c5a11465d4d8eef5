"""Pixazo: `POST /{model}/v1/{endpoint}` queues, `GET /v2/requests/status/{id}` polls,
`X-Webhook-URL` gets the terminal status body."""

from __future__ import annotations

import base64
import time
from typing import Any

from starlette.responses import Response

from contracts import (
    MAX_URL_LENGTH,
    Model,
    check,
    describe,
    is_http_url,
    nearest_ratio,
    pixel_size,
)
from contracts._common import XAI_RATIOS
from contracts.pixazo import PIXAZO
from mockserver.engine import Account, Emulator, Job, MediaRequest, Refusal
from mockserver.engine.webhooks import Render
from mockserver.media_route import image_bytes, media_link, serve_media
from mockserver.responses import json_response
from mockserver.surface import Call, Surface

_LIFECYCLE = PIXAZO.lifecycle


def _account(call: Call) -> Account:
    return call.authenticate(call.header("ocp-apim-subscription-key"))


def _model(call: Call) -> Model:
    route = f"/{call.params['model']}/v1/{call.params['endpoint']}"
    model = PIXAZO.models.get(route)
    if model is None:
        raise Refusal("model-not-found", model=call.params["model"])
    return model


def _webhook_url(call: Call) -> str | None:
    url = call.header("x-webhook-url")
    if url is None:
        return None
    if not is_http_url(url.strip()):
        raise Refusal(
            "validation-error", f"X-Webhook-URL must be an http(s) URL, got {describe(url)}"
        )
    if len(url) > MAX_URL_LENGTH:
        raise Refusal(
            "validation-error",
            f"X-Webhook-URL is {len(url)} characters long; URLs may be at most {MAX_URL_LENGTH}",
        )
    return url.strip()


async def _media(call: Call, values: dict[str, Any]) -> tuple[MediaRequest, str | None]:
    """The images to make, and the failure an unreadable input image will cause."""
    ratio = values["aspect_ratio"]
    failure = None
    if ratio == "auto":
        ratio = "1:1"
        info, failure = await call.read_image(values["image_urls"][0], "image_urls[0]")
        if info is not None:
            ratio = nearest_ratio(info.width, info.height, XAI_RATIOS)
    for index, url in enumerate(values.get("image_urls", ())[1:], start=1):
        if failure is None and url.startswith("data:"):
            _, failure = await call.read_image(url, f"image_urls[{index}]")
    size = pixel_size(ratio, values.get("resolution", "1k"))
    request = MediaRequest(size.width, size.height, values["output_format"], values["num_images"])
    return request, failure


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    millis = round(epoch * 1000)
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(millis // 1000)) + f".{millis % 1000:03d}Z"
    )


def _state(job: Job, phase: int) -> str:
    if not job.is_terminal(phase):
        return _LIFECYCLE.phases[phase]
    if job.outcome.kind == "succeeded":
        return _LIFECYCLE.succeeded
    if job.outcome.kind == "errored" and _LIFECYCLE.errored:
        return _LIFECYCLE.errored
    return _LIFECYCLE.failed


async def _media_urls(emulator: Emulator, base_url: str, job: Job) -> list[str]:
    refs = emulator.media_refs(job)
    if not job.extra.get("sync_mode"):
        return [media_link(emulator, PIXAZO, base_url, ref) for ref in refs]
    urls = []
    for ref in refs:
        data = await image_bytes(emulator, "pixazo", ref)
        urls.append(f"data:{ref.mime_type};base64,{base64.b64encode(data).decode('ascii')}")
    return urls


async def status_body(emulator: Emulator, base_url: str, job: Job, phase: int) -> dict[str, Any]:
    """What the status endpoint (and a webhook) says about `job` in `phase`."""
    state = _state(job, phase)
    terminal = job.is_terminal(phase)
    output = None
    if state == _LIFECYCLE.succeeded:
        media_type = emulator.media_refs(job)[0].mime_type
        output = {"media_url": await _media_urls(emulator, base_url, job), "media_type": media_type}
    return {
        "request_id": job.id,
        "status": state,
        "model_id": job.model,
        "error": job.outcome.message if terminal and job.outcome.kind != "succeeded" else None,
        "output": output,
        "created_at": _iso(job.created_at),
        "updated_at": _iso(job.phase_changed_at),
        "completed_at": _iso(job.terminal_at) if terminal else None,
    }


def _renderer(emulator: Emulator, base_url: str, job: Job) -> Render:
    async def render(now: float) -> tuple[Any, dict[str, str]]:
        phase = emulator.observe(job, count_read=False)
        return await status_body(emulator, base_url, job, phase), {}

    return render


async def submit(call: Call) -> Response:
    account = _account(call)
    call.early_refusal()
    model = _model(call)
    body = await call.json_object()
    choice = call.choose(prompt=body.get("prompt"), model=model.id)
    checked = check(model.params, body)
    if not checked.ok:
        raise Refusal("validation-error", checked.message())
    hook = _webhook_url(call)
    values = checked.values
    media, failure = await _media(call, values)
    emulator = call.emulator
    job = call.open_job(
        model=model.id,
        account=account,
        params=body,
        media=media,
        price_per_image=model.price_per_image,
        choice=choice,
        job_id=f"{model.id}_{emulator.ids.uuid7(emulator.clock.now())}",
        failure=failure,
        extra={"sync_mode": values["sync_mode"], "route": model.route},
    )
    call.ignore_unknown(checked.unknown)
    if hook is not None:
        emulator.attach_webhook(job, hook, _renderer(emulator, call.base_url, job))
    body = {
        "request_id": job.id,
        "status": _LIFECYCLE.phases[0],
        "polling_url": call.url(f"/v2/requests/status/{job.id}"),
    }
    return json_response(body, 202)


async def status(call: Call) -> Response:
    account = _account(call)
    call.choose()
    request_id = call.params["request_id"]
    call.entry.job_id = request_id
    job = call.emulator.find_job("pixazo", request_id, account)
    if job is None:
        raise Refusal("request-not-found", request_id=request_id)
    phase = call.emulator.observe(job)
    return json_response(await status_body(call.emulator, call.base_url, job, phase))


SURFACE = Surface(PIXAZO, {"submit": submit, "status": status, "media": serve_media})
