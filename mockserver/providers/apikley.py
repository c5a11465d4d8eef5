"""Apikley (Kie.ai market API): `POST /api/v1/jobs/createTask`, `GET /api/v1/jobs/recordInfo`,
signed callbacks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from starlette.responses import Response

from contracts import Model, check, nearest_ratio, pixel_size
from contracts._common import XAI_RATIOS
from contracts.apikley import APIKLEY
from mockserver.engine import Account, Emulator, Job, MediaRequest, Refusal
from mockserver.engine.webhooks import Render
from mockserver.media_route import media_link, serve_media
from mockserver.responses import json_response
from mockserver.surface import Call, Surface

_LIFECYCLE = APIKLEY.lifecycle
_COMPACT = (",", ":")


# The task envelope (model, callBackUrl, input), as the contract describes createTask.
_REQUEST = APIKLEY.operation("createTask").params


def _account(call: Call) -> Account:
    header = call.header("authorization")
    if not header:
        return call.authenticate(None)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        call.note_key(header)
        raise Refusal("unauthorized")
    return call.authenticate(token.strip())


def _model(name: str) -> Model:
    model = APIKLEY.models.get(name)
    if model is None:
        served = ", ".join(APIKLEY.models)
        raise Refusal(
            "model-not-found",
            f"The page does not exist or is not published (unknown model {name!r}; "
            f"this endpoint serves {served})",
        )
    return model


async def _media(
    call: Call, model: Model, values: dict[str, Any], account: Account
) -> tuple[MediaRequest, str | None]:
    """The images to make, and the failure an unreadable input image will cause."""
    if model.task == "upscale":
        source = _upscaled(call, values["task_id"], account)
        ratio = nearest_ratio(source.media.width, source.media.height)
        size = pixel_size(ratio, "2k")
        return MediaRequest(size.width, size.height, source.media.format, source.media.count), None
    ratio, failure = values.get("aspect_ratio", "1:1"), None
    if model.task == "edit":
        info, failure = await call.read_image(values["image_urls"][0], "input.image_urls[0]")
        if info is not None:
            ratio = nearest_ratio(info.width, info.height, XAI_RATIOS)
    size = pixel_size(ratio, "1k")
    return MediaRequest(size.width, size.height, "jpeg", 1), failure


def _upscaled(call: Call, task_id: str, account: Account) -> Job:
    source = call.emulator.find_job("apikley", task_id, account)
    if (
        source is None
        or source.model == "grok-imagine/upscale"
        or not source.is_terminal(call.emulator.observe(source, count_read=False))
        or source.outcome.kind != "succeeded"
    ):
        raise Refusal(
            "validation-error",
            f"'input.task_id' {task_id!r} is not a finished Grok Imagine image task "
            "of this account",
        )
    return source


def _millis(epoch: float | None) -> int | None:
    return None if epoch is None else round(epoch * 1000)


def record(emulator: Emulator, base_url: str, job: Job, phase: int) -> dict[str, Any]:
    """recordInfo's `data` for `job` in `phase` (callbacks carry the same)."""
    terminal = job.is_terminal(phase)
    succeeded = terminal and job.outcome.kind == "succeeded"
    if not terminal:
        state = _LIFECYCLE.phases[phase]
    else:
        state = _LIFECYCLE.succeeded if succeeded else _LIFECYCLE.failed
    result = ""
    if succeeded:
        urls = [media_link(emulator, APIKLEY, base_url, ref) for ref in emulator.media_refs(job)]
        result = json.dumps({"resultUrls": urls}, separators=_COMPACT)
    generating = job.phase_began(len(_LIFECYCLE.phases) - 1) or job.created_at
    cost_time = round(((job.terminal_at or generating) - generating) * 1000) if terminal else 0
    return {
        "taskId": job.id,
        "model": job.model,
        "state": state,
        "param": json.dumps(job.params, separators=_COMPACT, ensure_ascii=False),
        "resultJson": result,
        "failCode": "" if succeeded or not terminal else job.outcome.code,
        "failMsg": "" if succeeded or not terminal else job.outcome.message,
        "costTime": cost_time,
        "completeTime": _millis(job.terminal_at) if terminal else None,
        "createTime": _millis(job.created_at),
        "updateTime": _millis(job.phase_changed_at),
    }


def signature(task_id: str, timestamp: str, secret: str) -> str:
    """Kie's callback signature: base64(HMAC-SHA256(taskId + "." + timestamp, key))."""
    digest = hmac.new(secret.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _callback(emulator: Emulator, base_url: str, job: Job) -> Render:
    async def render(now: float) -> tuple[Any, dict[str, str]]:
        data = record(emulator, base_url, job, emulator.observe(job, count_read=False))
        ok = data["state"] == _LIFECYCLE.succeeded
        body = {
            "code": 200 if ok else 501,
            "msg": "Playground task completed successfully." if ok else "Playground task failed.",
            "data": {**data, "task_id": job.id},
        }
        account = emulator.accounts.get("apikley", job.account)
        headers = {}
        if account is not None and account.webhook_key:
            timestamp = str(int(now))
            headers["X-Webhook-Timestamp"] = timestamp
            headers["X-Webhook-Signature"] = signature(job.id, timestamp, account.webhook_key)
        return body, headers

    return render


async def create_task(call: Call) -> Response:
    account = _account(call)
    call.early_refusal()
    body = await call.json_object()
    given = body.get("input")
    choice = call.choose(
        prompt=given.get("prompt") if isinstance(given, dict) else None,
        model=body.get("model"),
    )
    top = check(_REQUEST, body)
    if not top.ok:
        raise Refusal("validation-error", top.message())
    model = _model(top.values["model"])
    inner = check(model.params, body["input"], prefix="input.")
    if not inner.ok:
        raise Refusal("validation-error", inner.message())
    media, failure = await _media(call, model, inner.values, account)
    emulator = call.emulator
    job = call.open_job(
        model=model.id,
        account=account,
        params=body,
        media=media,
        price_per_image=model.price_per_image,
        choice=choice,
        job_id=f"task_grok_{emulator.ids.hex(16)}",
        failure=failure,
    )
    call.ignore_unknown(top.unknown + inner.unknown)
    if "callBackUrl" in top.values:
        emulator.attach_webhook(
            job, top.values["callBackUrl"], _callback(emulator, call.base_url, job)
        )
    return json_response({"code": 200, "msg": "success", "data": {"taskId": job.id}})


async def record_info(call: Call) -> Response:
    account = _account(call)
    call.choose()
    task_id = call.request.query_params.get("taskId")
    if not task_id:
        raise Refusal("missing-parameter", "taskId parameter is required")
    call.entry.job_id = task_id
    job = call.emulator.find_job("apikley", task_id, account)
    if job is None:
        raise Refusal("task-not-found")
    data = record(call.emulator, call.base_url, job, call.emulator.observe(job))
    return json_response({"code": 200, "msg": "success", "data": data})


SURFACE = Surface(
    APIKLEY, {"createTask": create_task, "recordInfo": record_info, "media": serve_media}
)
