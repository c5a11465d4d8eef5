"""Deliveries on a schedule other processes share.

A process knows the deliveries it made. One that another process made comes back to
life here when this process leases it: rebuilt from its spec (provider, job, URL and
how to render its body) with the attempts made so far, wherever they were made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from mockserver.engine.webhook_delivery import SETTLED, Delivery, Render, State

if TYPE_CHECKING:
    from mockserver.engine.store import HookSchedule


class SharedDeliveries:
    """`schedule` shared with other processes; `revive` rebuilds a render from a spec;
    `keep` is told of each delivery revived here (so readers see it)."""

    def __init__(
        self,
        schedule: HookSchedule,
        revive: Callable[[dict[str, Any]], Render | None] | None,
        keep: Callable[[Delivery], None],
    ) -> None:
        self.schedule = schedule
        self._revive = revive
        self._keep = keep
        # The deliveries this process made or revived, by id, until they settle.
        self._known: dict[str, Delivery] = {}

    def made(self, delivery: Delivery, revival: Mapping[str, str] | None) -> None:
        spec = {"provider": delivery.provider, "job_id": delivery.job_id, "url": delivery.url}
        self.schedule.save(delivery.id, {**spec, **(revival or {})})
        self._known[delivery.id] = delivery

    def for_job(self, job_id: str) -> tuple[str | None, Delivery | None]:
        """The id of the delivery waiting for the job, and the delivery when it is ours."""
        found = self.schedule.for_job(job_id)
        return found, self._known.get(found) if found is not None else None

    def lease(self, now: float, room: int, seconds: float) -> list[Delivery]:
        """Up to `room` due deliveries, each leased to this process for `seconds`."""
        ready = []
        for delivery_id in self.schedule.lease(now, room, seconds):
            delivery = self._known.get(delivery_id) or self._revived(delivery_id)
            if delivery is not None:
                delivery.state = "due"
                ready.append(delivery)
        return ready

    def _revived(self, delivery_id: str) -> Delivery | None:
        spec = self.schedule.spec(delivery_id)
        render = self._revive(spec) if spec is not None and self._revive is not None else None
        if spec is None or render is None:
            return None
        delivery = Delivery(delivery_id, spec["provider"], spec["job_id"], spec["url"], render)
        delivery.attempts = list(spec.get("attempts", []))
        self._known[delivery_id] = delivery
        self._keep(delivery)
        return delivery

    def recorded(self, delivery: Delivery, state: State) -> None:
        """Keep the attempts so far where every process sees them."""
        self.schedule.record(delivery.id, delivery.attempts, state)
        if state in SETTLED:
            self._known.pop(delivery.id, None)
