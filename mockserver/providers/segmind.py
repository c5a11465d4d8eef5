"""Segmind: sync `POST /v1/{slug}` and queued `POST /v2/{slug}` with its two poll URLs."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from contracts import Model, check, nearest_ratio, pixel_size
from contracts.segmind import ASPECT_RATIOS, QUALITY_MODE_PRICE, SEGMIND
from mockserver.engine import Account, Job, MediaRequest, Refusal, format_amount
from mockserver.media_route import image_bytes, media_urls, serve_media
from mockserver.responses import json_response
from mockserver.surface import Call, Surface

_RATIOS = tuple(r for r in ASPECT_RATIOS if r != "auto")


def _account(call: Call) -> Account:
    key = call.header("x-api-key")
    if not key and call.header("authorization"):
        # The gateway does not take its key as a bearer token.
        call.note_key(call.header("authorization"))
        raise Refusal("unauthorized")
    return call.authenticate(key)


def _model(call: Call) -> Model:
    slug = call.params["slug"]
    model = SEGMIND.models.get(slug)
    if model is None:
        raise Refusal("model-not-found", f"Model '{slug}' not found")
    return model


async def _body(call: Call, model: Model) -> dict[str, Any]:
    content_type = (call.header("content-type") or "").split(";")[0].strip().lower()
    if content_type == "application/json":
        return await call.json_object()
    if content_type == "multipart/form-data":
        return await call.form_object(model.params)
    raise Refusal("invalid-content-type")


async def _media(call: Call, values: dict[str, Any]) -> tuple[MediaRequest, str | None]:
    """The images to make, and the failure an unreadable input image will cause."""
    ratio = values["aspect_ratio"]
    failure = None
    image = values.get("image")
    if image:
        info, failure = await call.read_image(image, "image")
        if info is not None:
            ratio = nearest_ratio(info.width, info.height, _RATIOS)
    size = pixel_size(ratio, values["resolution"])
    return MediaRequest(size.width, size.height, values["output_format"], values["n"]), failure


async def _accept(call: Call, *, sync: bool) -> tuple[Model, Job]:
    account = _account(call)
    call.early_refusal()
    model = _model(call)
    body = await _body(call, model)
    choice = call.choose(prompt=body.get("prompt"), model=model.id)
    checked = check(model.params, body)
    if not checked.ok:
        raise Refusal("validation-error", checked.message())
    values = checked.values
    media, failure = await _media(call, values)
    if failure is not None and sync:
        raise Refusal("validation-error", failure)
    price = QUALITY_MODE_PRICE if values.get("mode") == "quality" else model.price_per_image
    job = call.open_job(
        model=model.id,
        account=account,
        params=body,
        media=media,
        price_per_image=price,
        choice=choice,
        failure=failure,
        sync=sync,
    )
    call.ignore_unknown(checked.unknown)
    return model, job


def _timings(call: Call, job: Job) -> dict[str, float]:
    began = job.phase_began(1) or job.created_at
    ended = job.terminal_at or call.emulator.clock.now()
    return {
        "inference_time": round(max(0.0, ended - began), 3),
        "queue_time": round(max(0.0, began - job.created_at), 3),
        "total_time": round(max(0.0, ended - job.created_at), 3),
    }


def _metrics(call: Call, job: Job) -> dict[str, Any]:
    timings: dict[str, Any] = _timings(call, job)
    if job.outcome.kind != "succeeded":
        return timings  # billing fields are omitted on failure
    account = call.emulator.account("segmind", job.account)
    timings["cost"] = float(job.cost)
    timings["remaining_credits"] = float(account.balance) if account else 0.0
    timings["retry_count"] = 0
    return timings


def _links(call: Call, job_id: str) -> dict[str, str]:
    return {
        "status_url": call.url(f"/v2/requests/{job_id}/status"),
        "response_url": call.url(f"/v2/requests/{job_id}"),
    }


def _result(call: Call, job: Job, phase: int) -> Response:
    """The v2 result body (also v1 poll_url's and the quality slug's v1 JSON)."""
    if not job.is_terminal(phase):
        state = SEGMIND.lifecycle.phases[phase]
        pending: dict[str, Any] = {
            "status": state,
            "error": None,
            "metrics": {},
            "output": None,
            "request_id": job.id,
        }
        return json_response(pending)
    if job.outcome.kind != "succeeded":
        return _failed(call, job, output=True)
    body: dict[str, Any] = {
        "status": SEGMIND.lifecycle.succeeded,
        "error": None,
        "metrics": _metrics(call, job),
        "output": media_urls(call, job),
        "request_id": job.id,
    }
    return json_response(body)


def _failed(call: Call, job: Job, *, output: bool) -> Response:
    body: dict[str, Any] = {
        "status": SEGMIND.lifecycle.failed,
        "error": job.outcome.message,
        "metrics": _timings(call, job),
        "request_id": job.id,
    }
    if output:
        body["output"] = None
    return json_response(body, 422)


def _job(call: Call, account: Account) -> Job:
    request_id = call.params["request_id"]
    call.entry.job_id = request_id
    job = call.emulator.find_job("segmind", request_id, account)
    if job is None:
        raise Refusal("request-not-found", request_id=request_id)
    return job


async def generate(call: Call) -> Response:
    model, job = await _accept(call, sync=True)
    phase = await call.emulator.wait_sync(job)
    if job.outcome.kind != "succeeded":
        raise Refusal("server-error", job.outcome.message)
    account = call.emulator.account("segmind", job.account)
    timings = _timings(call, job)
    headers = {
        "x-request-id": job.id,
        "x-cost": format_amount(job.cost),
        "x-remaining-credits": format_amount(account.balance) if account else "0",
        "x-generation-time": f"{timings['inference_time']:.3f}",
        "x-seed-value": str(job.extra["seed"]),
    }
    if model.returns == "json":
        response = _result(call, job, phase)
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
        "status": SEGMIND.lifecycle.phases[0],
        "poll_url": call.url(f"/v1/requests/{job.id}"),
        **_links(call, job.id),
    }
    return json_response(body)


async def status(call: Call) -> Response:
    account = _account(call)
    call.choose()
    job = _job(call, account)
    phase = call.emulator.observe(job)
    if not job.is_terminal(phase):
        state = SEGMIND.lifecycle.phases[phase]
        body = {"status": state, "request_id": job.id, **_links(call, job.id), "metrics": {}}
        return json_response(body)
    if job.outcome.kind != "succeeded":
        return _failed(call, job, output=False)
    body = {
        "status": SEGMIND.lifecycle.succeeded,
        "request_id": job.id,
        "metrics": _metrics(call, job),
    }
    return json_response(body)


async def result(call: Call) -> Response:
    account = _account(call)
    call.choose()
    job = _job(call, account)
    return _result(call, job, call.emulator.observe(job))


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
