"""Apikley's (Kie.ai's) response and callback bodies, as the emulator sends them."""

from __future__ import annotations

from contracts._schema import const, enum, integer, nullable, obj, string

_MILLIS = integer(minimum=0)

RECORD_FIELDS = {
    "taskId": string(),
    "model": string(),
    "state": enum("waiting", "queuing", "generating", "success", "fail"),
    # The request as submitted, and on success {"resultUrls": [...]}, both as JSON strings.
    "param": string(),
    "resultJson": string(),
    "failCode": string(),
    "failMsg": string(),
    "costTime": _MILLIS,
    "completeTime": nullable(_MILLIS),
    "createTime": _MILLIS,
    "updateTime": nullable(_MILLIS),
}

CREATED = obj({"code": const(200), "msg": const("success"), "data": obj({"taskId": string()})})
RECORD = obj({"code": const(200), "msg": const("success"), "data": obj(RECORD_FIELDS)})
CALLBACK = obj(
    {
        "code": enum(200, 501),
        "msg": string(),
        "data": obj({**RECORD_FIELDS, "task_id": string()}),
    }
)
