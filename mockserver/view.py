"""How a provider shows its jobs under one base URL: its status words, its time format,
its links and its media, all from the contract.

A request and a webhook (rendered later, with no request) see jobs the same way,
so both go through a `View`.
"""

from __future__ import annotations

import base64
from typing import Any, Literal

from contracts import Contract
from mockserver.engine import Emulator, Job, MediaRef
from mockserver.media_route import image_bytes
from mockserver.responses import format_time

InlineForm = Literal["data-uri", "base64"]


class View:
    __slots__ = ("base_url", "contract", "emulator")

    def __init__(self, emulator: Emulator, contract: Contract, base_url: str) -> None:
        self.emulator = emulator
        self.contract = contract
        self.base_url = base_url

    def word(self, job: Job, phase: int) -> str:
        """The provider's status word for `job` in `phase`."""
        return self.contract.lifecycle.word(phase, job.outcome.kind)

    def time(self, epoch: float | None) -> Any:
        return format_time(self.contract.times, epoch)

    def link(self, operation_id: str, job_id: str) -> str:
        """The URL of one of the provider's operations on job `job_id`."""
        return self.base_url + self.contract.job_path(operation_id, job_id)

    def media_link(self, ref: MediaRef) -> str:
        token = self.emulator.media_token(ref)
        path = self.contract.media_path.format(job_id=ref.job_id, token=token, ext=ref.format)
        return self.base_url + path

    async def media(self, job: Job, inline: InlineForm = "data-uri") -> list[str]:
        """The job's images as the client asked: URLs, or (`job.inline`) in the body."""
        refs = self.emulator.media_refs(job)
        if not job.inline:
            return [self.media_link(ref) for ref in refs]
        out = []
        for ref in refs:
            data = base64.b64encode(await image_bytes(self.emulator, self.contract.provider, ref))
            text = data.decode("ascii")
            out.append(f"data:{ref.mime_type};base64,{text}" if inline == "data-uri" else text)
        return out
