"""Apikley (Kie.ai market API): `POST /api/v1/jobs/createTask`, `GET /api/v1/jobs/recordInfo`,
signed callbacks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from starlette.responses import Response

from contracts import Model, nearest_ratio, pixel_size
from contracts.apikley import APIKLEY
from mockserver.call import Call
from mockserver.engine import Account, Job, MediaRequest, Refusal
from mockserver.media_route import serve_media
from mockserver.responses import json_response
from mockserver.surface import Surface
from mockserver.view import View

_COMPACT = (",", ":")
# The task envelope (model, callBackUrl, input), as the contract describes createTask.
_REQUEST = APIKLEY.operation("createTask").params
_GENERATING = len(APIKLEY.lifecycle.phases) - 1


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
    if model.task == "edit":  # keeps its input's ratio
        found, failure = await call.input_ratio(values["image_urls"][0], "input.image_urls[0]")
        ratio = found or ratio
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


def record(view: View, job: Job, phase: int) -> dict[str, Any]:
    """recordInfo's `data` for `job` in `phase` (callbacks carry the same)."""
    ended = job.is_terminal(phase)
    succeeded = ended and job.outcome.kind == "succeeded"
    failed = ended and not succeeded
    result = ""
    if succeeded:
        urls = [view.media_link(ref) for ref in view.emulator.media_refs(job)]
        result = json.dumps({"resultUrls": urls}, separators=_COMPACT)
    generating = job.phase_began(_GENERATING) or job.created_at
    return {
        "taskId": job.id,
        "model": job.model,
        "state": view.word(job, phase),
        "param": json.dumps(job.params, separators=_COMPACT, ensure_ascii=False),
        "resultJson": result,
        "failCode": job.outcome.code if failed else "",
        "failMsg": job.outcome.message if failed else "",
        "costTime": round(((job.terminal_at or generating) - generating) * 1000) if ended else 0,
        "completeTime": view.time(job.terminal_at) if ended else None,
        "createTime": view.time(job.created_at),
        "updateTime": view.time(job.phase_changed_at),
    }


def signature(task_id: str, timestamp: str, secret: str) -> str:
    """Kie's callback signature: base64(HMAC-SHA256(taskId + "." + timestamp, key))."""
    digest = hmac.new(secret.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


async def _callback(view: View, job: Job, phase: int, now: float) -> tuple[Any, dict[str, str]]:
    data = record(view, job, phase)
    ok = data["state"] == APIKLEY.lifecycle.succeeded
    body = {
        "code": 200 if ok else 501,
        "msg": "Playground task completed successfully." if ok else "Playground task failed.",
        "data": {**data, "task_id": job.id},
    }
    account = view.emulator.accounts.get("apikley", job.account)
    headers = {}
    if account is not None and account.webhook_key:
        timestamp = str(int(now))
        headers["X-Webhook-Timestamp"] = timestamp
        headers["X-Webhook-Signature"] = signature(job.id, timestamp, account.webhook_key)
    return body, headers


async def create_task(call: Call) -> Response:
    account = call.authenticate()
    call.early_refusal()
    body = await call.body()
    given = body.get("input")
    prompt = given.get("prompt") if isinstance(given, dict) else None
    choice = call.choose(prompt=prompt, model=body.get("model"))
    top = call.checked(_REQUEST, body)
    model = call.model(top["model"])
    values = call.checked(model.params, body["input"], prefix="input.")
    media, failure = await _media(call, model, values, account)
    job = call.open_job(
        account=account, model=model, params=body, media=media, choice=choice, failure=failure
    )
    if "callBackUrl" in top:
        call.attach_webhook(job, top["callBackUrl"], _callback)
    return json_response({"code": 200, "msg": "success", "data": {"taskId": job.id}})


async def record_info(call: Call) -> Response:
    job, phase = call.read()
    return json_response({"code": 200, "msg": "success", "data": record(call, job, phase)})


SURFACE = Surface(
    APIKLEY, {"createTask": create_task, "recordInfo": record_info, "media": serve_media}
)
