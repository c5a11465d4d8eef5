"""Segmind's response bodies, as the emulator sends them (JSON Schema)."""

from __future__ import annotations

from contracts._schema import array, const, enum, integer, number, obj, string, uri

_PENDING = enum("QUEUED", "PROCESSING")
TIMINGS = {"inference_time": number(), "queue_time": number(), "total_time": number()}
# On success metrics add the accounting; on failure the billing fields are omitted.
SUCCESS_METRICS = obj(
    {
        **TIMINGS,
        "cost": number(minimum=0),
        "remaining_credits": number(minimum=0),
        "retry_count": integer(minimum=0),
    }
)
_NO_METRICS = obj({})
_LINKS = {"status_url": uri(), "response_url": uri()}

SUBMITTED = obj({"request_id": string(), "status": const("QUEUED"), "poll_url": uri(), **_LINKS})
STATUS = {
    "anyOf": [
        obj({"status": _PENDING, "request_id": string(), **_LINKS, "metrics": _NO_METRICS}),
        obj({"status": const("COMPLETED"), "request_id": string(), "metrics": SUCCESS_METRICS}),
    ]
}
STATUS_FAILED = obj(
    {
        "status": const("FAILED"),
        "error": string(),
        "metrics": obj(TIMINGS),
        "request_id": string(),
    }
)
COMPLETED = obj(
    {
        "status": const("COMPLETED"),
        "error": {"type": "null"},
        "metrics": SUCCESS_METRICS,
        "output": array(uri(), minItems=1),
        "request_id": string(),
    }
)
RESULT = {
    "anyOf": [
        obj(
            {
                "status": _PENDING,
                "error": {"type": "null"},
                "metrics": _NO_METRICS,
                "output": {"type": "null"},
                "request_id": string(),
            }
        ),
        COMPLETED,
    ]
}
RESULT_FAILED = obj(
    {
        "status": const("FAILED"),
        "error": string(),
        "metrics": obj(TIMINGS),
        "output": {"type": "null"},
        "request_id": string(),
    }
)
