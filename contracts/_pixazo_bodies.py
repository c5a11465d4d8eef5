"""Pixazo's response bodies, as the emulator sends them (JSON Schema)."""

from __future__ import annotations

from contracts._schema import array, const, enum, nullable, obj, string, uri

_WHEN = string(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

SUBMITTED = obj({"request_id": string(), "status": const("QUEUED"), "polling_url": uri()})
STATUS = obj(
    {
        "request_id": string(),
        "status": enum("QUEUED", "PROCESSING", "COMPLETED", "FAILED", "ERROR"),
        "model_id": string(),
        "error": nullable(string()),
        # media_url holds R2-like URLs, or data: URIs with sync_mode.
        "output": nullable(obj({"media_url": array(string(), minItems=1), "media_type": string()})),
        "created_at": _WHEN,
        "updated_at": nullable(_WHEN),
        "completed_at": nullable(_WHEN),
    }
)
