"""One webhook delivery: what it is, the policy it is sent under, and one attempt at it.

An attempt renders the body as the job stands now, sends it through the outbound port
(loopback and allow-listed hosts only) and says how it went; what follows (a retry, the
journal) is the scheduler's (`webhooks.py`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import field
from typing import Any, Literal

from contracts.record import record
from mockserver.engine.journal import bounded
from mockserver.engine.outbound import Outbound, OutboundFailed, OutboundRefused

Render = Callable[[float], Awaitable[tuple[Any, dict[str, str]]]]
State = Literal["waiting", "due", "delivered", "failed", "refused", "dropped"]
SETTLED: frozenset[State] = frozenset({"delivered", "failed", "refused", "dropped"})
Verdict = Literal["delivered", "failed", "refused"]
# How much of a receiver's answer is read, and how much of it an attempt keeps.
_REPLY_LIMIT = 64 * 1024
_REPLY_KEPT = 512


@record
class WebhookPolicy:
    attempts: int = 5
    # Seconds on the emulator clock before each retry (the last repeats).
    backoff: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)
    # Real seconds one attempt may take in all: connecting, sending, the answer.
    timeout: float = 10.0
    # Workers, so attempts in flight at once; the rest wait their turn on the queue.
    concurrency: int = 64
    # Bytes of each body kept for reading (the receiver always gets all of it).
    body_bytes: int = 16 * 1024


@record(frozen=False, eq=False)
class Delivery:
    id: str
    provider: str
    job_id: str
    url: str
    render: Render = field(repr=False)
    state: State = "waiting"
    attempts: list[dict[str, Any]] = field(default_factory=list)
    body: Any = None
    # When the next attempt is due on the emulator's clock (None once it is settled).
    due_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider,
            "job_id": self.job_id,
            "url": self.url,
            "state": self.state,
            "attempts": list(self.attempts),
            "due_at": self.due_at if self.state in ("waiting", "due") else None,
            "body": self.body,
        }


def new_record(number: int, at: float) -> dict[str, Any]:
    """An attempt as a delivery lists it, before it is made."""
    return {"attempt": number, "at": at, "status": None, "error": None}


async def attempt(
    delivery: Delivery,
    outbound: Outbound | None,
    policy: WebhookPolicy,
    allowed_hosts: tuple[str, ...],
    number: int,
    now: float,
) -> tuple[dict[str, Any], Verdict]:
    """Attempt `number` at `delivery`: its record (status, reply or error) and how it went.
    A 2xx answer delivers; a host the fence refuses is refused, never contacted."""
    found = new_record(number, now)
    try:
        if outbound is None:
            raise OutboundFailed("no outbound port: serve the emulator with create_app")
        body, headers = await delivery.render(now)
        data = json.dumps(body, separators=(",", ":")).encode()
        delivery.body = bounded(body, policy.body_bytes, data)
        reply = await outbound.send(
            "POST",
            delivery.url,
            allowed=allowed_hosts,
            deadline=policy.timeout,
            limit=_REPLY_LIMIT,
            body=data,
            headers={"content-type": "application/json", **headers},
        )
    except OutboundRefused as refused:
        found["error"] = str(refused)
        return found, "refused"
    except OutboundFailed as failed:
        found["error"] = str(failed)
        return found, "failed"
    found["status"] = reply.status
    found["reply"] = reply.body[:_REPLY_KEPT].decode("utf-8", "replace")
    return found, "delivered" if 200 <= reply.status < 300 else "failed"
