"""Kie.ai's market jobs API, as Kie serves it and Apikley clones it:
`POST /api/v1/jobs/createTask`, `GET /api/v1/jobs/recordInfo`, `GET /api/v1/chat/credit`,
signed callbacks. One implementation, two surfaces: the contracts differ in hosts,
ratios and task ids."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any

from starlette.responses import Response

from contracts import Contract, Model, nearest_ratio, pixel_size
from contracts.apikley import APIKLEY, KIE
from mockserver.call import Call
from mockserver.engine import Account, Job, MediaRequest, Refusal
from mockserver.media_route import serve_media
from mockserver.responses import json_response
from mockserver.surface import Surface
from mockserver.view import View

_COMPACT = (",", ":")
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
    source = call.emulator.find_job(call.provider, task_id, account)
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
    account = view.emulator.account(view.contract.provider, job.account)
    return {
        "taskId": job.id,
        "model": job.model,
        "state": view.word(job, phase),
        "param": job.request.decode("utf-8", "surrogatepass"),
        "resultJson": result,
        "failCode": job.outcome.code if failed else "",
        "failMsg": job.outcome.message if failed else "",
        "costTime": round(((job.terminal_at or generating) - generating) * 1000) if ended else 0,
        "completeTime": view.time(job.terminal_at) if ended else None,
        "createTime": view.time(job.created_at),
        "updateTime": view.time(job.phase_changed_at),
        "consumeCredits": _credits(job.cost if succeeded else Decimal(0)),
        "remainedCredits": _credits(account.balance if account else Decimal(0)),
    }


def _credits(amount: Decimal) -> int | float:
    """Credits as Kie writes them: a whole number when they are one."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def signature(task_id: str, timestamp: str, secret: str) -> str:
    """Kie's callback signature: base64(HMAC-SHA256(taskId + "." + timestamp, key))."""
    digest = hmac.new(secret.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


async def _callback(view: View, job: Job, phase: int, now: float) -> tuple[Any, dict[str, str]]:
    data = record(view, job, phase)
    ok = data["state"] == view.contract.lifecycle.succeeded
    body = {
        "code": 200 if ok else 501,
        "msg": "Playground task completed successfully." if ok else "Playground task failed.",
        "data": {**data, "task_id": job.id},
    }
    account = view.emulator.accounts.get(view.contract.provider, job.account)
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
    top = call.checked(call.operation.params, body)  # the envelope: model, callBackUrl, input
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


async def credit(call: Call) -> Response:
    account = call.authenticate()
    call.choose()
    return json_response({"code": 200, "msg": "success", "data": _credits(account.balance)})


def _surface(contract: Contract) -> Surface:
    handlers = {"createTask": create_task, "recordInfo": record_info, "credit": credit}
    return Surface(contract, {**handlers, "media": serve_media})


SURFACE = _surface(APIKLEY)
KIE_SURFACE = _surface(KIE)
