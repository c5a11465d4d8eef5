"""Segmind: sync `POST /v1/{slug}` and queued `POST /v2/{slug}` with its two poll URLs."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from contracts import Model, pixel_size
from contracts.segmind import QUALITY_MODE_PRICE, SEGMIND
from mockserver.call import Call
from mockserver.engine import Job, MediaRequest, Refusal, format_amount, to_millisecond
from mockserver.media_route import image_bytes, serve_media
from mockserver.responses import json_response
from mockserver.surface import Surface


async def _accept(call: Call, *, sync: bool) -> tuple[Model, Job]:
    account = call.authenticate()
    call.early_refusal()
    model = call.model()
    body = await call.body(model.params)
    choice = call.choose(prompt=body.get("prompt"), model=model.id)
    values = call.checked(model.params, body)
    ratio, failure = values["aspect_ratio"], None
    if values.get("image"):  # an edit keeps its input's ratio
        found, failure = await call.input_ratio(values["image"], "image", model.params)
        ratio = found or ratio
    if failure is not None and sync:  # the model meets the input during the v1 call
        raise Refusal("server-error", failure)
    size = pixel_size(ratio, values["resolution"])
    quality = values.get("mode") == "quality"
    job = call.open_job(
        account=account,
        model=model,
        params=body,
        media=MediaRequest(size.width, size.height, values["output_format"], values["n"]),
        price_per_image=QUALITY_MODE_PRICE if quality else model.price_per_image,
        choice=choice,
        failure=failure,
        sync=sync,
    )
    return model, job


def _timings(call: Call, job: Job) -> dict[str, Any]:
    began = job.phase_began(1) or job.created_at
    ended = job.terminal_at or call.emulator.clock.now()
    return {
        "inference_time": to_millisecond(max(0.0, ended - began)),
        "queue_time": to_millisecond(max(0.0, began - job.created_at)),
        "total_time": to_millisecond(max(0.0, ended - job.created_at)),
    }


def _metrics(call: Call, job: Job) -> dict[str, Any]:
    """Timings; on success the accounting too (billing fields are omitted on failure)."""
    timings = _timings(call, job)
    if job.outcome.kind == "succeeded":
        account = call.emulator.account("segmind", job.account)
        timings["cost"] = float(job.cost)
        timings["remaining_credits"] = float(account.balance) if account else 0.0
    return timings


def _links(call: Call, job: Job) -> dict[str, str]:
    return {
        "status_url": call.link("v2.status", job.id),
        "response_url": call.link("v2.result", job.id),
    }


async def _result(call: Call, job: Job, phase: int) -> Response:
    """The v2 result body (also v1 poll_url's and the quality slug's v1 JSON): `output`
    is the image's URL, or a list of them when n > 1."""
    ended = job.is_terminal(phase)
    output: list[str] | str | None = None
    if ended and job.outcome.kind == "succeeded":
        output = await call.media(job)
        output = output[0] if len(output) == 1 else output
    body: dict[str, Any] = {
        "status": call.word(job, phase),
        "error": job.outcome.message if ended and job.outcome.kind != "succeeded" else None,
        "metrics": _metrics(call, job) if ended else {},
        "output": output,
        "request_id": job.id,
    }
    return json_response(body, 422 if body["error"] else 200)


async def generate(call: Call) -> Response:
    model, job = await _accept(call, sync=True)
    phase = await call.emulator.wait_sync(job)
    if job.outcome.kind != "succeeded":
        raise Refusal("server-error", job.outcome.message)
    account = call.emulator.account("segmind", job.account)
    headers = {
        "x-request-id": job.id,
        "x-cost": format_amount(job.cost),
        "x-remaining-credits": format_amount(account.balance) if account else "0",
        "x-generation-time": f"{_timings(call, job)['inference_time']:.3f}",
        "x-seed-value": str(job.seed),
    }
    if model.returns == "json":
        response = await _result(call, job, phase)
        response.headers.update(headers)
        return response
    ref = call.emulator.media_refs(job)[0]
    data = await image_bytes(call.emulator, "segmind", ref)
    if job.media.count > 1:
        call.warn("v1 returns the first of n images; v2 returns them all")
    return Response(data, media_type=ref.mime_type, headers=headers)


async def submit(call: Call) -> Response:
    _, job = await _accept(call, sync=False)
    body = {
        "request_id": job.id,
        "status": call.word(job, 0),
        "poll_url": call.link("v1.poll", job.id),
        **_links(call, job),
    }
    return json_response(body)


async def status(call: Call) -> Response:
    job, phase = call.read()
    body: dict[str, Any] = {"status": call.word(job, phase), "request_id": job.id}
    if not job.is_terminal(phase):
        body.update(_links(call, job))
        body["metrics"] = {}
        return json_response(body)
    if job.outcome.kind != "succeeded":
        failed = {**body, "error": job.outcome.message, "metrics": _timings(call, job)}
        return json_response(failed, 422)
    return json_response({**body, "metrics": _metrics(call, job)})


async def result(call: Call) -> Response:
    job, phase = call.read()
    return await _result(call, job, phase)


SURFACE = Surface(
    SEGMIND,
    {
        "v1.generate": generate,
        "v2.submit": submit,
        "v2.status": status,
        "v2.result": result,
        "v1.poll": result,
        "media": serve_media,
    },
)
