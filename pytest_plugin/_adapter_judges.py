"""What the checks hold an adapter to beyond its images: one charge per job, polling
that stops at the end and notices it soon, waits a provider asked for, withheld images
named, and a client that waits as long as a synchronous answer takes."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from contracts import Contract
from mockserver.engine import Job, JournalEntry
from mockserver.engine.journal import describe
from mockserver.responses import RATE_LIMIT_RESET
from pytest_plugin._adapter_run import Run
from pytest_plugin._adapter_verdicts import of_kind
from pytest_plugin._controller import GrokMock
from pytest_plugin._portal import CLIENT_GAVE_UP

_TOLERANCE = 1e-6
# Answered reads of one operation after its job ended: the one that saw the end, and one
# more (a result read through the same door), are what a client needs.
_READS_AFTER_END = 2
_RETRYABLE = frozenset({408, 429, 455, 500, 502, 503, 504})


def retryable_answer(contract: Contract, entry: JournalEntry) -> bool:
    """Whether the answer `entry` got says "try again" on the wire (or was lost)."""
    if entry.error and (entry.error.startswith("network fault") or lost_answer(entry)):
        return True
    case = contract.errors.get(entry.scenario or "")
    if case is not None and entry.error:
        return case.looks_retryable
    return entry.status in _RETRYABLE


def lost_answer(entry: JournalEntry) -> bool:
    """A request the emulator processed whose answer never reached the client (cut off,
    or the client stopped waiting for it)."""
    error = entry.error or ""
    return error == "network fault: truncated-body" or error.startswith(CLIENT_GAVE_UP)


def resubmit_problems(contract: Contract, run: Run, grok_mock: GrokMock) -> list[str]:
    """Every submit after the first must follow an answer that said to try again."""
    submits = of_kind(contract, run, "submit")
    for first, then in itertools.pairwise(submits):
        if retryable_answer(contract, first):
            continue
        job = grok_mock.job(first.job_id) if first.job_id else None
        when = f"{then.at - first.at:.1f} s later"
        if first.error:
            billed = first.scenario in contract.billing.fees
            cost = " and is billed each time" if billed else ""
            return [
                f"submitted again {when} after {describe(first)} was refused "
                f"({first.scenario or first.status}): that refusal cannot pass{cost}"
            ]
        if job is not None and job.outcome.kind != "succeeded":
            return [
                f"submitted the whole job again {when} after job {job.id} ended "
                f"{job.outcome.kind} ({job.scenario}): each submit is a new job the provider "
                "charges for; report the failure instead"
            ]
        return [f"submitted again {when} although job {first.job_id} was accepted: a second job"]
    return []


def after_end_problems(contract: Contract, run: Run, jobs: Sequence[Job]) -> list[str]:
    """Polling must stop once a read has shown the job's end (FAILED, ERROR, done...)."""
    reads = of_kind(contract, run, "read")
    for job in jobs:
        end = job.terminal_at
        if end is None:
            continue
        late = [e for e in reads if e.job_id == job.id and e.at >= end - _TOLERANCE]
        for operation in sorted({e.operation or "" for e in late}):
            answered = [e for e in late if e.operation == operation and e.error is None]
            if len(answered) > _READS_AFTER_END:
                return [
                    f"kept polling job {job.id} ({operation}) after it had ended "
                    f"({job.outcome.kind}): {len(answered)} answered reads after the end; "
                    "a terminal status (including an error one) is final"
                ]
    return []


def lateness_problems(run: Run, jobs: Sequence[Job], max_poll_interval: float) -> list[str]:
    """The adapter must notice a finished job within `max_poll_interval` seconds."""
    ends = [job.terminal_at for job in jobs if job.terminal_at is not None]
    if not ends or run.runaway:
        return []
    late = run.ended - max(ends)
    if late <= max_poll_interval + _TOLERANCE:
        return []
    return [
        f"returned {late:.1f} s after the job had ended; max_poll_interval is "
        f"{max_poll_interval:g} s: it checks too seldom"
    ]


def advised_wait(contract: Contract, entry: JournalEntry) -> tuple[float, str] | None:
    """How long the refusal `entry` got asked the client to wait, and the header that did."""
    case = contract.errors.get(entry.scenario or "")
    if case is None or not entry.error:
        return None
    for name, value in case.headers.items():
        if name.lower() == "retry-after" and value.isdigit():
            return float(value), name
        if value == "{reset_at}":
            return RATE_LIMIT_RESET, name
    return None


def rate_limit_problems(contract: Contract, run: Run) -> list[str]:
    """After a refusal that names a wait (Retry-After, a reset time), the next request
    must not come sooner."""
    entries = run.entries
    for index, entry in enumerate(entries):
        advised = advised_wait(contract, entry)
        if advised is None or index + 1 >= len(entries):
            continue
        seconds, header = advised
        following = entries[index + 1]
        gap = following.at - entry.at
        if gap < seconds - _TOLERANCE:
            return [
                f"sent {describe(following)} {gap:.1f} s after a {entry.status} "
                f"{entry.scenario!r} whose {header} asked for {seconds:g} s"
            ]
    return []


def withheld_problems(result: Any, jobs: Sequence[Job], wanted: int) -> list[str]:
    """A withheld image (moderated) must be named: None in its place, or an error."""
    if not isinstance(result, (list, tuple)):
        return [f"returned {type(result).__name__}, not a list of images"]
    withheld = sum(1 for job in jobs if job.outcome.code == "respect_moderation")
    if len(result) == wanted - withheld:
        return [
            f"silently dropped the {withheld} image(s) the provider withheld "
            "(respect_moderation: false): return None in its place, or raise"
        ]
    if len(result) != wanted:
        return [f"returned {len(result)} item(s) for {wanted} image(s)"]
    if result[-1] is not None:
        return [f"returned {str(result[-1])[:60]!r} for the image the provider withheld"]
    return []


def timeout_problems(run: Run, profile: str) -> list[str]:
    """A client that gave up on a synchronous answer: say how long the provider took."""
    gave_up = [e for e in run.entries if (e.error or "").startswith(CLIENT_GAVE_UP)]
    if not gave_up:
        return []
    return [
        f"its HTTP client gave up on a synchronous call the provider answers after a while "
        f"in the {profile!r} profile ({gave_up[0].error}): its read timeout must be longer "
        "than the provider takes to generate"
    ]
