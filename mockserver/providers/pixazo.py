"""Pixazo: `POST /{model}/v1/{endpoint}` queues, `GET /v2/requests/status/{id}` polls,
`X-Webhook-URL` gets the terminal status body."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from contracts import MAX_URL_LENGTH, describe, is_http_url, pixel_size
from contracts.pixazo import PIXAZO
from mockserver.call import Call
from mockserver.engine import Job, MediaRequest, Refusal
from mockserver.media_route import serve_media
from mockserver.responses import json_response
from mockserver.surface import Surface
from mockserver.view import View


def _webhook_url(call: Call) -> str | None:
    given = call.header("x-webhook-url")
    url = None if given is None else given.strip()
    if url is not None and not is_http_url(url):
        raise Refusal(
            "validation-error", f"X-Webhook-URL must be an http(s) URL, got {describe(url)}"
        )
    if url is not None and len(url) > MAX_URL_LENGTH:
        raise Refusal(
            "validation-error",
            f"X-Webhook-URL is {len(url)} characters long; URLs may be at most {MAX_URL_LENGTH}",
        )
    return url


async def _media(call: Call, values: dict[str, Any]) -> tuple[MediaRequest, str | None]:
    """The images to make, and the failure an unreadable input image will cause."""
    ratio, failure = values["aspect_ratio"], None
    if ratio == "auto":  # an edit keeps its first input's ratio
        found, failure = await call.input_ratio(values["image_urls"][0], "image_urls[0]")
        ratio = found or "1:1"
    for index, url in enumerate(values.get("image_urls", ())[1:], start=1):
        if failure is None and url.startswith("data:"):
            _, failure = await call.read_image(url, f"image_urls[{index}]")
    size = pixel_size(ratio, values.get("resolution", "1k"))
    request = MediaRequest(size.width, size.height, values["output_format"], values["num_images"])
    return request, failure


async def status_body(view: View, job: Job, phase: int) -> dict[str, Any]:
    """What the status endpoint (and a webhook) says about `job` in `phase`."""
    ended = job.is_terminal(phase)
    output = None
    if ended and job.outcome.kind == "succeeded":
        refs = view.emulator.media_refs(job)
        output = {"media_url": await view.media(job), "media_type": refs[0].mime_type}
    return {
        "request_id": job.id,
        "status": view.word(job, phase),
        "model_id": job.model,
        "error": job.outcome.message if ended and job.outcome.kind != "succeeded" else None,
        "output": output,
        "created_at": view.time(job.created_at),
        "updated_at": view.time(job.phase_changed_at),
        "completed_at": view.time(job.terminal_at) if ended else None,
    }


async def _webhook(view: View, job: Job, phase: int, now: float) -> tuple[Any, dict[str, str]]:
    return await status_body(view, job, phase), {}


async def submit(call: Call) -> Response:
    account = call.authenticate()
    call.early_refusal()
    model = call.model()
    body = await call.body()
    choice = call.choose(prompt=body.get("prompt"), model=model.id)
    values = call.checked(model.params, body)
    hook = _webhook_url(call)
    media, failure = await _media(call, values)
    job = call.open_job(
        account=account,
        model=model,
        params=body,
        media=media,
        choice=choice,
        failure=failure,
        inline=values["sync_mode"],
    )
    if hook is not None:
        call.attach_webhook(job, hook, _webhook)
    body = {
        "request_id": job.id,
        "status": call.word(job, 0),
        "polling_url": call.link("status", job.id),
    }
    return json_response(body, 202)


async def status(call: Call) -> Response:
    job, phase = call.read()
    return json_response(await status_body(call, job, phase))


SURFACE = Surface(PIXAZO, {"submit": submit, "status": status, "media": serve_media})
