"""OpenAI-style images, as xAI serves them and the agtcloud gateway passes them on:
`POST /v1/images/generations`, `POST /v1/images/edits` (JSON), `GET /v1/images/{id}` (deferred).

One implementation, two surfaces: the contracts differ in hosts, error envelopes and
headers; parameters and the rules between them come from each operation.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from contracts import Contract, agtcloud, pixel_size, xai
from contracts.openai_images import DEPRECATED_ALIASES, MIME_TYPE, TICKS_PER_USD, UNSUPPORTED
from mockserver.call import Call
from mockserver.engine import Account, Choice, Job, MediaRequest, Refusal
from mockserver.media_route import serve_media
from mockserver.responses import json_response
from mockserver.surface import Surface

_NOT_EMULATED = ("output", "storage_options", "mask")
_QUALITY_MODEL = "grok-imagine-image-2.0"
Submission = tuple[Account, Choice, dict[str, Any], dict[str, Any]]


def _headers(call: Call) -> dict[str, str]:
    """The headers this operation's answers carry (xAI's x-request-id, which its SDK reads)."""
    named = any("x-request-id" in spec.headers for spec in call.operation.responses)
    return {"x-request-id": call.emulator.traces.uuid4()} if named else {}


async def _submission(call: Call) -> Submission:
    """Who asks, the scenario, the body and its checked values (OpenAI's own arguments
    that xAI refuses by name, then the operation's parameters and rules)."""
    account = call.authenticate()
    call.early_refusal()
    body = await call.body()
    choice = call.choose(prompt=body.get("prompt"), model=body.get("model"))
    for name in UNSUPPORTED:
        if body.get(name) not in (None, False):
            raise Refusal("unsupported-argument", argument=name, param=name)
    values = call.checked(call.operation.params, body, rules=call.operation.rules)
    not_emulated = [n for n in _NOT_EMULATED if n in values]
    if not_emulated:
        call.warn(f"ignored parameter(s) the emulator does not emulate: {', '.join(not_emulated)}")
    return account, choice, body, values


async def _answer(call: Call, submission: Submission, ratio: str) -> Response:
    account, choice, body, values = submission
    model = call.model(values["model"])
    if model.id in DEPRECATED_ALIASES:
        call.warn(f"{model.id} is deprecated; use {DEPRECATED_ALIASES[model.id]}")
    if values.get("quality") is not None and model.id != _QUALITY_MODEL:
        call.warn(f"quality is ignored by {model.id}; only {_QUALITY_MODEL} takes it")
    size = pixel_size(ratio, values["resolution"])
    deferred = bool(values["deferred"])
    job = call.open_job(
        account=account,
        model=model,
        params=body,
        media=MediaRequest(size.width, size.height, "jpeg", values["n"]),
        choice=choice,
        sync=not deferred,
        inline=values["response_format"] == "b64_json",
        pollable=deferred,
    )
    if deferred:
        return json_response({"request_id": job.id}, headers=_headers(call))
    await call.emulator.wait_sync(job)
    if job.outcome.kind != "succeeded":
        raise _failure(job)
    stamp = {"created": int(job.created_at)} if _stamped(call) else {}
    return json_response({**stamp, **await _images(call, job)}, headers=_headers(call))


def _stamped(call: Call) -> bool:
    """Whether the answer carries `created`: the gateways' schemas list it, xAI's not."""
    schema = call.operation.responses[0].schema or {}
    return "created" in schema.get("properties", {})


def _failure(job: Job) -> Refusal:
    if job.scenario == "moderation-blocked":  # billed: the fee was taken as the job ended
        return Refusal("moderation-rejected", ticks=int(job.fee * TICKS_PER_USD))
    if job.outcome.kind == "errored":
        return Refusal("service-unavailable", job.outcome.message)
    return Refusal("server-error", job.outcome.message)


async def _images(call: Call, job: Job) -> dict[str, Any]:
    field = "b64_json" if job.inline else "url"
    prompt = str(job.params.get("prompt", ""))
    revise = call.emulator.texts.revised_prompt
    items: list[dict[str, Any]] = [
        {field: value, "mime_type": MIME_TYPE, "revised_prompt": revise(prompt, job.id, i)}
        for i, value in enumerate(await call.media(job, "base64"))
    ]
    if job.outcome.code == "respect_moderation":  # the last image is withheld
        items[-1] = {field: None, "mime_type": MIME_TYPE, "respect_moderation": False}
    return {"data": items, "usage": {"cost_in_usd_ticks": int(job.cost * TICKS_PER_USD)}}


async def generations(call: Call) -> Response:
    submission = await _submission(call)
    return await _answer(call, submission, submission[3]["aspect_ratio"])


async def _input_ratio(call: Call, where: str, item: dict[str, Any]) -> str | None:
    """Each input is read (a bad one is refused); answers its ratio, if it has one."""
    if not item.get("url"):
        call.warn(f"{where}.file_id is not emulated; its size is unknown")
        return None
    ratio, failure = await call.input_ratio(item["url"], f"{where}.url", call.operation.params)
    if failure is not None:
        raise Refusal("validation-error", failure, param=where)
    return ratio


async def edits(call: Call) -> Response:
    submission = await _submission(call)
    values = submission[3]
    single = values.get("image")  # the contract's rule: image or images, not both
    inputs = enumerate([single] if single is not None else values["images"])
    where = "image" if single is not None else "images[{}]"
    ratios = [await _input_ratio(call, where.format(i), item) for i, item in inputs]
    ratio = values["aspect_ratio"]
    if single is not None and ratio != "auto":
        call.warn("aspect_ratio is ignored for a single-image edit: the output keeps the input's")
    if single is not None or ratio == "auto":
        ratio = ratios[0] or "1:1"
    return await _answer(call, submission, ratio)


async def deferred(call: Call) -> Response:
    job, phase = call.read()
    answer: dict[str, Any] = {"request_id": job.id, "status": call.word(job, phase)}
    if not job.is_terminal(phase):
        return json_response(answer, 202, _headers(call))
    if job.outcome.kind == "succeeded":
        answer.update(await _images(call, job))
    else:
        answer["error"] = {"code": job.outcome.code, "message": job.outcome.message}
    return json_response(answer, headers=_headers(call))


def _surface(contract: Contract) -> Surface:
    handlers = {"generations": generations, "edits": edits, "deferred": deferred}
    return Surface(contract, {**handlers, "media": serve_media})


XAI_SURFACE = _surface(xai.XAI)
AGTCLOUD_SURFACE = _surface(agtcloud.AGTCLOUD)
