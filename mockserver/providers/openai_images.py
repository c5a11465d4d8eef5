"""OpenAI-style images, as xAI serves them and the agtcloud gateway passes them on:
`POST /v1/images/generations`, `POST /v1/images/edits` (JSON), `GET /v1/images/{id}` (deferred).

One implementation, two surfaces: the contracts differ in hosts and error envelopes.
"""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

from starlette.responses import Response

from contracts import (
    Checked,
    Contract,
    Model,
    Param,
    agtcloud,
    check,
    nearest_ratio,
    pixel_size,
    xai,
)
from contracts._openai_images import (
    DEPRECATED_ALIASES,
    MIME_TYPE,
    MODELS,
    MODERATION_FEE,
    TICKS_PER_USD,
    UNSUPPORTED,
)
from mockserver.engine import Account, Choice, Job, MediaRequest, Refusal
from mockserver.engine.inputs import ImageInfo
from mockserver.media_route import image_bytes, media_link, serve_media
from mockserver.responses import json_response
from mockserver.surface import Call, Surface

_PARAMS = {"xai": (xai.GENERATE, xai.EDIT), "agtcloud": (agtcloud.GENERATE, agtcloud.EDIT)}
_SHAPE = ("required", "type", "enum")
_NOT_EMULATED = ("output", "storage_options", "mask")


def _ratios(params: tuple[Param, ...]) -> tuple[str, ...]:
    enum = next(p.enum for p in params if p.name == "aspect_ratio") or ()
    return tuple(r for r in enum if r != "auto")


def _ticks(amount: Decimal) -> int:
    return int(amount * TICKS_PER_USD)


def _hint(key: str) -> str:
    return f"{key[:2]}***{key[-2:]}" if len(key) > 4 else "***"


def _account(call: Call) -> Account:
    header = call.header("authorization")
    if not header:
        return call.authenticate(None)
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        call.note_key(header)
        raise Refusal("unauthorized", key_hint=_hint(header))
    try:
        return call.authenticate(token)
    except Refusal as refusal:
        refusal.fields.setdefault("key_hint", _hint(token))
        raise


async def _body(call: Call) -> dict[str, Any]:
    content_type = (call.header("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise Refusal("unsupported-media-type")
    return await call.json_object()


def _refuse(checked: Checked) -> Refusal:
    """xAI answers a body that does not deserialize with 422, a bad value with 400."""
    shape = [p for p in checked.problems if p.kind in _SHAPE]
    problems = shape or checked.problems
    message = "; ".join(p.message for p in problems)
    return Refusal(
        "invalid-body" if shape else "validation-error", message, param=problems[0].param
    )


def _checked(call: Call, body: dict[str, Any], params: tuple[Param, ...]) -> dict[str, Any]:
    for name in UNSUPPORTED:
        if body.get(name) not in (None, False):
            raise Refusal("unsupported-argument", argument=name, param=name)
    checked = check(params, body)
    if not checked.ok:
        raise _refuse(checked)
    call.ignore_unknown(checked.unknown)
    not_emulated = [n for n in _NOT_EMULATED if n in checked.values]
    if not_emulated:
        call.warn(f"ignored parameter(s) the emulator does not emulate: {', '.join(not_emulated)}")
    return checked.values


def _model(call: Call, values: dict[str, Any]) -> Model:
    name = values.get("model") or "grok-imagine-image"
    model = MODELS.get(name)
    if model is None:
        raise Refusal("model-not-found", model=name, param="model")
    if name in DEPRECATED_ALIASES:
        call.warn(f"{name} is deprecated; use {DEPRECATED_ALIASES[name]}")
    quality = values.get("quality")
    if quality is not None and name != "grok-imagine-image-2.0":
        call.warn(f"quality is ignored by {name}; only grok-imagine-image-2.0 takes it")
    elif quality == "high":
        raise Refusal("validation-error", "quality 'high' is not supported", param="quality")
    if values["deferred"] and values["response_format"] != "url":
        raise Refusal(
            "validation-error",
            "deferred requests only support response_format 'url'",
            param="response_format",
        )
    return model


async def _open(
    call: Call,
    account: Account,
    choice: Choice,
    body: dict[str, Any],
    values: dict[str, Any],
    ratio: str,
) -> Response:
    model = _model(call, values)
    size = pixel_size(ratio, values["resolution"])
    emulator = call.emulator
    deferred = bool(values["deferred"])
    job = call.open_job(
        model=model.id,
        account=account,
        params=body,
        media=MediaRequest(size.width, size.height, "jpeg", values["n"]),
        price_per_image=model.price_per_image,
        choice=choice,
        sync=not deferred,
        extra={"deferred": deferred, "response_format": values["response_format"]},
    )
    if deferred:
        return json_response({"request_id": job.id}, headers=_headers(call))
    await emulator.wait_sync(job)
    if job.outcome.kind != "succeeded":
        raise _failure(call, job, account)
    body_out = {"created": int(job.created_at), **await _images(call, job)}
    return json_response(body_out, headers=_headers(call))


def _headers(call: Call) -> dict[str, str]:
    # xAI's SDK reads x-request-id; the gateway's is not documented.
    return {"x-request-id": call.emulator.ids.uuid4()} if call.provider == "xai" else {}


def _failure(call: Call, job: Job, account: Account) -> Refusal:
    if job.scenario == "moderation-blocked":
        fee = call.emulator.charge_once(job, account, MODERATION_FEE)
        return Refusal("moderation-rejected", ticks=_ticks(fee))
    if job.outcome.kind == "errored":
        return Refusal("service-unavailable", job.outcome.message)
    return Refusal("server-error", job.outcome.message)


async def _images(call: Call, job: Job) -> dict[str, Any]:
    emulator = call.emulator
    refs = emulator.media_refs(job)
    moderated = job.outcome.code == "respect_moderation"
    as_url = job.extra["response_format"] == "url"
    field = "url" if as_url else "b64_json"
    items: list[dict[str, Any]] = []
    for ref in refs:
        if moderated and ref.index == len(refs) - 1:
            items.append({field: None, "mime_type": MIME_TYPE, "respect_moderation": False})
        elif as_url:
            items.append(
                {
                    "url": media_link(emulator, call.contract, call.base_url, ref),
                    "mime_type": MIME_TYPE,
                }
            )
        else:
            data = await image_bytes(emulator, call.provider, ref)
            items.append(
                {"b64_json": base64.b64encode(data).decode("ascii"), "mime_type": MIME_TYPE}
            )
    return {"data": items, "usage": {"cost_in_usd_ticks": _ticks(job.cost)}}


async def generations(call: Call) -> Response:
    account = _account(call)
    call.early_refusal()
    body = await _body(call)
    choice = call.choose(prompt=body.get("prompt"), model=body.get("model"))
    values = _checked(call, body, _PARAMS[call.provider][0])
    return await _open(call, account, choice, body, values, values["aspect_ratio"])


async def _input(call: Call, where: str, item: dict[str, Any]) -> ImageInfo | None:
    url = item.get("url")
    if not url and not item.get("file_id"):
        raise Refusal("invalid-body", f"'{where}' needs a url or a file_id", param=where)
    if not url:
        call.warn(f"{where}.file_id is not emulated; its size is unknown")
        return None
    info, failure = await call.read_image(url, f"{where}.url")
    if failure is not None:
        raise Refusal("validation-error", failure, param=where)
    return info


async def edits(call: Call) -> Response:
    account = _account(call)
    call.early_refusal()
    body = await _body(call)
    choice = call.choose(prompt=body.get("prompt"), model=body.get("model"))
    params = _PARAMS[call.provider][1]
    values = _checked(call, body, params)
    single, several = values.get("image"), values.get("images")
    if single is not None and several is not None:
        raise Refusal(
            "validation-error", "Provide either 'image' or 'images', not both", param="images"
        )
    if single is None and several is None:
        raise Refusal("invalid-body", "One of 'image' or 'images' is required", param="image")
    inputs = (
        [("image", single)]
        if single is not None
        else [(f"images[{i}]", v) for i, v in enumerate(several or ())]
    )
    infos = [await _input(call, where, item) for where, item in inputs]
    ratio = values["aspect_ratio"]
    if single is not None and ratio != "auto":
        call.warn("aspect_ratio is ignored for a single-image edit: the output keeps the input's")
    if single is not None or ratio == "auto":
        first = infos[0]
        ratio = nearest_ratio(first.width, first.height, _ratios(params)) if first else "1:1"
    return await _open(call, account, choice, body, values, ratio)


async def deferred(call: Call) -> Response:
    account = _account(call)
    call.choose()
    request_id = call.params["request_id"]
    call.entry.job_id = request_id
    job = call.emulator.find_job(call.provider, request_id, account)
    if job is None or not job.extra.get("deferred"):
        raise Refusal("request-not-found", request_id=request_id)
    phase = call.emulator.observe(job)
    headers = _headers(call)
    if not job.is_terminal(phase):
        return json_response({"request_id": job.id, "status": "pending"}, 202, headers)
    if job.outcome.kind == "succeeded":
        done = {"request_id": job.id, "status": "done", **await _images(call, job)}
        return json_response(done, headers=headers)
    if job.scenario == "moderation-blocked":
        call.emulator.charge_once(job, account, MODERATION_FEE)
    error = {"code": job.outcome.code, "message": job.outcome.message}
    return json_response(
        {"request_id": job.id, "status": "failed", "error": error}, headers=headers
    )


def _surface(contract: Contract) -> Surface:
    handlers = {
        "generations": generations,
        "edits": edits,
        "deferred": deferred,
        "media": serve_media,
    }
    return Surface(contract, handlers)


XAI_SURFACE = _surface(xai.XAI)
AGTCLOUD_SURFACE = _surface(agtcloud.AGTCLOUD)
