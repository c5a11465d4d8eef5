"""The engine's one way out: a port the server layer provides.

The engine never imports an HTTP library. Webhook deliveries and input-image
fetches go through an `Outbound`, which also enforces the fence: only
loopback addresses and allow-listed hosts are ever contacted, every attempt
has a total deadline, and no more than `limit` bytes of a reply are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from contracts.record import record
from mockserver.engine.errors import OutboundFailed, OutboundRefused

__all__ = ["Outbound", "OutboundFailed", "OutboundRefused", "Reply"]


@record(slots=True)
class Reply:
    status: int
    # At most the limit asked for; `size` is what the peer said it sent, when it said.
    body: bytes
    truncated: bool = False


class Outbound(Protocol):
    async def send(
        self,
        method: str,
        url: str,
        *,
        allowed: tuple[str, ...],
        deadline: float,
        limit: int,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """One request, within `deadline` real seconds in all; raises OutboundRefused
        (nothing sent) or OutboundFailed."""
        ...
