"""Jobs: what was asked, how it will go, and where it is now."""

from __future__ import annotations

import hashlib
import heapq
import json
import math
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, Literal

from contracts import Contract
from contracts.record import record
from mockserver.engine.json_text import held_json_bytes
from mockserver.engine.lifecycle import Timeline
from mockserver.engine.webhooks import Delivery

OutcomeKind = Literal["succeeded", "failed", "errored"]

# How many reads a record-not-ready job answers as unknown before it shows up.
UNREADY_READS = 2
# Inline image data longer than this is kept as its digest, not its bytes.
INLINE_LIMIT = 1024
# What a job keeps of its parameters at most: characters of keys and text, and items
# (keys, elements and values; each costs far more than a character in memory).
PARAMS_BUDGET = 512 * 1024
PARAMS_ITEMS = 1024
_KEY_LIMIT = 256
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s_-]+")


def request_text(params: Mapping[str, Any]) -> bytes:
    """A job's request as kept: compacted, as compact JSON (UTF-8)."""
    try:
        text = held_json_bytes(params)
    except TypeError:  # a mapping JSON does not know: compacting makes it a dict
        text = b""
    if not text or len(text) > _KEY_LIMIT:  # shorter, nothing in it can be cut
        text = held_json_bytes(compact(params))
    return text


def compact(params: Mapping[str, Any]) -> dict[str, Any]:
    """A request's parameters as a job keeps them, for as long as its record lives.

    Inline images (data URIs, bare base64) become a digest that names their size.
    Everything else is kept as sent, in order, until PARAMS_BUDGET characters or
    PARAMS_ITEMS items are spent; a string that would overspend the characters
    becomes a digest, and the rest of a container one note saying what was not kept.
    """
    return _shrink(params, _Left())  # type: ignore[no-any-return]


class _Left:
    __slots__ = ("chars", "items")

    def __init__(self) -> None:
        self.chars = PARAMS_BUDGET
        self.items = PARAMS_ITEMS

    @property
    def spent(self) -> bool:
        return self.chars <= 0 or self.items <= 0


def _shrink(value: Any, left: _Left) -> Any:
    left.items -= 1
    if isinstance(value, str):
        if (len(value) > INLINE_LIMIT and _inline(value)) or len(value) > left.chars:
            value = digest(value)
        left.chars -= len(value)
        return value
    if isinstance(value, Mapping):
        kept: dict[str, Any] = {}
        items = list(value.items())
        for index, (key, item) in enumerate(items):
            if left.spent:
                kept["..."] = _not_kept(items[index:], "field")
                break
            name = key if len(key) <= _KEY_LIMIT else digest(key)
            left.chars -= len(name)
            kept[name] = _shrink(item, left)
        return kept
    if isinstance(value, list):
        out: list[Any] = []
        for index, item in enumerate(value):
            if left.spent:
                out.append(_not_kept(value[index:], "item"))
                break
            out.append(_shrink(item, left))
        return out
    return value


def _not_kept(rest: list[Any], what: str) -> str:
    text = json.dumps(rest, default=str)
    sha = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"<{len(rest)} more {what}(s), {len(text)} chars, sha256 {sha}, not kept>"


def _inline(text: str) -> bool:
    return text.startswith("data:") or _BASE64.fullmatch(text[:4096]) is not None


def digest(text: str) -> str:
    """A stand-in for a long string: its head (a data URI's media type), size and SHA-256."""
    head = text[: text.index(",") + 1] if text.startswith("data:") and "," in text else ""
    sha = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{head}<{len(text)} chars, sha256 {sha}, not kept>"


@record(slots=True)
class MediaPlan:
    """The images a job produces; the bytes are made on request, never stored."""

    width: int
    height: int
    format: str
    count: int
    variant: int


# Not frozen: one is made on every submit and only read, and a frozen one costs twice as
# much to make.
@record(frozen=False, slots=True)
class MediaRequest:
    """The images a submit asks for."""

    width: int
    height: int
    format: str
    count: int


@record(slots=True)
class Outcome:
    kind: OutcomeKind
    message: str = ""
    code: str = ""

    @classmethod
    def of(cls, contract: Contract, scenario: str, failure: str | None) -> Outcome:
        """How a job playing `scenario` ends on this provider (`failure`: it fails so)."""
        if failure is not None:
            return cls("failed", failure)
        defined = contract.outcomes.get(scenario)
        if defined is not None:
            return cls(defined.kind, defined.message, defined.code)
        return SUCCEEDED


SUCCEEDED = Outcome("succeeded")  # immutable: every successful job shares it
NOTHING = Decimal(0)  # immutable: every job without a fee shares it


@record(frozen=False, eq=False, slots=True)
class Job:
    id: str
    provider: str
    operation: str
    model: str
    account: str
    # The request as submitted (compacted), as JSON text: a tenth of the memory of the
    # parsed object, and what a record that echoes the request writes anyway.
    request: bytes
    created_at: float
    timeline: Timeline
    outcome: Outcome
    media: MediaPlan
    expires_at: float
    media_expires_at: float
    cost: Decimal
    profile: str
    scenario: str | None = None
    scenario_source: str | None = None
    # The seed the job's generation used (Segmind shows it as x-seed-value).
    seed: int = 0
    # Media delivered in the body (base64, data URIs) rather than as URLs.
    inline: bool = False
    # Whether the job can be read back after its submit (not a synchronous call's).
    pollable: bool = True
    # A flat fee taken when the job ended (a billed moderation block).
    fee: Decimal = NOTHING
    # Reads still to answer as if the job did not exist yet (record-not-ready).
    unready_reads: int = 0
    webhook: Delivery | None = None
    reads: int = 0
    # The furthest phase any read has seen (0: as submitted); a job never goes back.
    observed: int = 0
    # When each phase after the first began, kept only for read-driven timelines: a
    # clock-driven job derives it from its timeline, so holding it costs nothing.
    read_log: list[float] | None = None
    settled: bool = False

    @property
    def params(self) -> dict[str, Any]:
        """The request as submitted (compacted)."""
        found: dict[str, Any] = json.loads(self.request)
        return found

    @property
    def last_phase(self) -> int:
        return self.observed

    @property
    def phase_changed_at(self) -> float:
        return self._began(self.observed)

    @property
    def terminal_at(self) -> float | None:
        return self._began(self.observed) if self.observed >= self.timeline.phases else None

    def phase_began(self, index: int) -> float | None:
        return self._began(index) if index <= self.observed else None

    def _began(self, index: int) -> float:
        if index <= 0:
            return self.created_at
        if self.read_log is not None:
            return self.read_log[index - 1]
        return self.created_at + self.timeline.phase_started(index)

    @property
    def phases(self) -> int:
        return self.timeline.phases

    def observe(self, now: float, *, count_read: bool = False) -> int:
        """The job's phase at `now`; a status read counts toward `polls` timelines."""
        if count_read:
            self.reads += 1
        # Never backwards: a later read at an earlier instant (a sweep, a
        # synchronous call that woke early) must not undo what a client saw.
        phase = self.timeline.phase_at(now - self.created_at, self.reads)
        if phase > self.observed:
            if self.timeline.by_reads:
                self.read_log = (self.read_log or []) + [now] * (phase - self.observed)
            self.observed = phase
        return self.observed

    def is_terminal(self, phase: int) -> bool:
        return phase >= self.timeline.phases

    def expired(self, now: float) -> bool:
        return now >= self.expires_at

    def belongs_to(self, provider: str, account: str) -> bool:
        """Whether the job is this provider's, submitted with this account's key."""
        return self.provider == provider and self.account == account

    def summary(self, now: float) -> dict[str, Any]:
        """A provider-neutral view for the admin API and the journal."""
        phase = self.observe(now)
        return {
            "id": self.id,
            "provider": self.provider,
            "operation": self.operation,
            "model": self.model,
            "phase": phase,
            "terminal": self.is_terminal(phase),
            "outcome": self.outcome.kind,
            "outcome_message": self.outcome.message,
            "scenario": self.scenario,
            "scenario_source": self.scenario_source,
            "profile": self.profile,
            "created_at": self.created_at,
            "terminal_at": self.terminal_at,
            "expires_at": self.expires_at,
            "reads": self.reads,
            "cost": str(self.cost),
            "settled": self.settled,
            "webhook": self.webhook.to_dict() if self.webhook else None,
            "media": {
                "width": self.media.width,
                "height": self.media.height,
                "format": self.media.format,
                "count": self.media.count,
            },
            "params": self.params,
        }


class JobStore:
    """Jobs by id, swept once their record has expired."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._expiry: list[tuple[float, str]] = []

    def add(self, job: Job) -> None:
        self._jobs[job.id] = job
        heapq.heappush(self._expiry, (job.expires_at, job.id))

    def get(self, job_id: str, now: float) -> Job | None:
        job = self._jobs.get(job_id)
        if job is None or job.expired(now):
            return None
        return job

    def held(self, job_id: str) -> Job | None:
        """The job while its record is held, past its retention or not (until a sweep)."""
        return self._jobs.get(job_id)

    # What a store shared by several processes does atomically; in one process the
    # job object is the record, so these are plain steps.

    def read(self, job_id: str, now: float, provider: str, account: str) -> Job | None:
        """A client's read: the job with the read counted, or None (see `Jobs.read`)."""
        job = self.get(job_id, now)
        if job is None or not job.belongs_to(provider, account) or not job.pollable:
            return None
        if job.unready_reads > 0:
            job.unready_reads -= 1
            return None
        self.count_read(job)
        return job

    def count_read(self, job: Job) -> int:
        """Count one status read of the job; answers its reads so far."""
        job.reads += 1
        return job.reads

    def progress(self, job: Job) -> None:
        """Keep how far reads have seen the job (its `observed` phase and read times)."""

    def settled(self, job: Job) -> None:
        """Keep that the job's charge is settled, and its fee."""

    def sweep(self, now: float) -> list[Job]:
        """Remove and return every job whose record has expired."""
        gone = []
        while self._expiry and self._expiry[0][0] <= now:
            _, job_id = heapq.heappop(self._expiry)
            job = self._jobs.pop(job_id, None)
            if job is not None:
                gone.append(job)
        return gone

    def next_expiry(self) -> float:
        return self._expiry[0][0] if self._expiry else math.inf

    def clear(self) -> None:
        self._jobs.clear()
        self._expiry.clear()

    def __iter__(self) -> Iterator[Job]:
        return iter(list(self._jobs.values()))

    def __len__(self) -> int:
        return len(self._jobs)
